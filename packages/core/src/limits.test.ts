import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  jsonByteLength,
  MAX_BATCH_ITEMS,
  MAX_BODY_BYTES,
  MAX_DELAY_SECONDS,
  MAX_IDS_PER_QUERY,
  MAX_MESSAGE_BYTES,
  MAX_TOKEN_TTL_SECONDS,
} from "./limits.ts";
import type { JsonValue } from "./wire.ts";

/** Any code point, lone surrogates included (fast-check's "binary" unit costs seconds to set up). */
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
const nodeLength = (value: JsonValue) => Buffer.byteLength(JSON.stringify(value), "utf8");

describe("limits", () => {
  it("are the numbers of wire contract v1", () => {
    expect([MAX_BATCH_ITEMS, MAX_BODY_BYTES, MAX_MESSAGE_BYTES]).toEqual([100, 1024 * 1024, 128 * 1024]);
    expect([MAX_TOKEN_TTL_SECONDS, MAX_DELAY_SECONDS, MAX_IDS_PER_QUERY]).toEqual([
      24 * 3600,
      12 * 3600,
      100,
    ]);
  });
});

describe("jsonByteLength", () => {
  it.each<[string, JsonValue, number]>([
    ["ASCII", { name: "a" }, 12],
    ["a two-byte character", "é", 4],
    ["a three-byte character", "€", 5],
    ["a surrogate pair (four bytes)", "😀", 6],
    ["an escaped control character", "\n", 4],
    ["a lone surrogate, escaped by JSON.stringify", "\ud800", 8],
  ])("counts %s", (_, value, bytes) => {
    expect(jsonByteLength(value)).toBe(bytes);
    expect(jsonByteLength(value)).toBe(nodeLength(value));
  });

  it("agrees with Node's Buffer.byteLength on any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4, stringUnit: anyCodePoint }), (value) => {
        expect(jsonByteLength(value as JsonValue)).toBe(nodeLength(value as JsonValue));
      }),
    );
  });

  it("agrees with Node on strings of any UTF-16 code units, lone surrogates included", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
        (s) => {
          expect(jsonByteLength(s)).toBe(nodeLength(s));
        },
      ),
    );
  });
});
