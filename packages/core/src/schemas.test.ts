import { describe, expect, it } from "vitest";
import { MAX_TOKEN_TOPICS, MAX_TOKEN_TTL_SECONDS } from "./limits.ts";
import type { ParseResult } from "./parse-result.ts";
import { parseSubscriptionRequest, parseTokenRequest, parseTopicRequest } from "./schemas.ts";

/** The message of a refused request; fails the test if it was accepted. */
const refusal = <T>(result: ParseResult<T>): string => {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  expect(result.error.code).toBe("invalid_request");
  return result.error.message;
};

describe("parseTokenRequest", () => {
  const token = (fields: Record<string, unknown> = {}) => ({
    subject: "user-1",
    topics: ["demo.resize", "demo.*"],
    ttlSeconds: 900,
    ...fields,
  });

  it("returns a valid request without unknown fields", () => {
    expect(parseTokenRequest({ ...token(), scope: "admin" })).toEqual({ ok: true, value: token() });
  });

  it.each([1, MAX_TOKEN_TTL_SECONDS])("accepts a ttl of %d seconds", (ttlSeconds) => {
    expect(parseTokenRequest(token({ ttlSeconds })).ok).toBe(true);
  });

  it("accepts * for every topic", () => {
    expect(parseTokenRequest(token({ topics: ["*"] })).ok).toBe(true);
  });

  it(`accepts ${MAX_TOKEN_TOPICS} topics and refuses one more`, () => {
    const topics = Array.from({ length: MAX_TOKEN_TOPICS + 1 }, (_, i) => `t${i}`);
    expect(parseTokenRequest(token({ topics: topics.slice(1) })).ok).toBe(true);
    expect(refusal(parseTokenRequest(token({ topics })))).toBe(
      "topics must name at most 100 topics (got 101)",
    );
  });

  it.each([
    ["a non-object body", "x", 'body must be a JSON object (got "x")'],
    ["a missing subject", { topics: ["a"], ttlSeconds: 1 }, "subject is required"],
    ["an empty subject", token({ subject: "" }), 'subject must be 1 to 256 characters (got "")'],
    [
      "a 257-character subject",
      token({ subject: "s".repeat(257) }),
      "subject must be 1 to 256 characters (got 257)",
    ],
    ["no topics", token({ topics: [] }), "topics must name at least 1 topic"],
    [
      "topics that is a string",
      token({ topics: "demo" }),
      'topics must be an array of topic names or patterns (got "demo")',
    ],
    [
      "a bad topic",
      token({ topics: ["ok", "Not OK"] }),
      'topics.1 must be a topic name: 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit, or such a prefix followed by * (got "Not OK")',
    ],
    [
      "a ttl of 0",
      token({ ttlSeconds: 0 }),
      "ttlSeconds must be a whole number of seconds from 1 to 86400 (got 0)",
    ],
    [
      "a ttl over 24 hours",
      token({ ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 }),
      "ttlSeconds must be a whole number of seconds from 1 to 86400 (got 86401)",
    ],
    [
      "a fractional ttl",
      token({ ttlSeconds: 1.5 }),
      "ttlSeconds must be a whole number of seconds from 1 to 86400 (got 1.5)",
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(parseTokenRequest(body))).toBe(message);
  });

  it("reports every problem, with paths", () => {
    const result = parseTokenRequest({ subject: "", topics: [3], ttlSeconds: 0 });
    expect(result.ok ? [] : result.error.issues.map((issue) => issue.path)).toEqual([
      "subject",
      "topics.0",
      "ttlSeconds",
    ]);
  });
});

describe("parseSubscriptionRequest", () => {
  it.each([
    { kind: "queue", target: "deliveries-thumbnails" },
    { kind: "webhook", target: "https://hooks.example.com/errand?x=1" },
    { kind: "webhook", target: "http://127.0.0.1:8788/hook", resultFrom: true },
    { kind: "live", target: "dashboard" },
    { kind: "queue", target: "q1", resultFrom: false },
    { kind: "queue", target: "q1", onDead: "halt" },
    { kind: "webhook", target: "https://hooks.example.com/h", onDead: "continue" },
  ])("accepts $kind → $target", (body) => {
    expect(parseSubscriptionRequest(body)).toEqual({ ok: true, value: body });
  });

  it("treats resultFrom and onDead null as absent and ignores unknown fields", () => {
    expect(
      parseSubscriptionRequest({ kind: "live", target: "x", resultFrom: null, onDead: null, secret: "s" }),
    ).toEqual({
      ok: true,
      value: { kind: "live", target: "x" },
    });
  });

  it.each([
    [
      "an unknown kind",
      { kind: "email", target: "a" },
      'kind must be "queue", "webhook" or "live" (got "email")',
    ],
    ["a missing target", { kind: "queue" }, "target is required"],
    [
      "an unknown onDead",
      { kind: "queue", target: "q1", onDead: "stop" },
      'onDead must be "continue" or "halt" (got "stop")',
    ],
    ["an empty target", { kind: "queue", target: "" }, 'target must be 1 to 2048 characters (got "")'],
    [
      "a queue name with capitals",
      { kind: "queue", target: "Thumbs" },
      'target must be a queue name (1 to 63 characters from a-z 0-9 -, starting with a letter or digit), or a prefix of queue names ending in * (got "Thumbs")',
    ],
    [
      "a webhook that is not http(s)",
      { kind: "webhook", target: "ftp://example.com" },
      'target must be an http(s) URL (got "ftp://example.com")',
    ],
    [
      "a webhook without a host",
      { kind: "webhook", target: "https:///path" },
      "target must be an http(s) URL",
    ],
    [
      "a webhook with a space",
      { kind: "webhook", target: "https://a b.com" },
      "target must be an http(s) URL",
    ],
    [
      "a live label with a slash",
      { kind: "live", target: "a/b" },
      "target must be 1 to 128 characters from A-Z a-z 0-9 . _ : -",
    ],
    [
      "a resultFrom that is not boolean",
      { kind: "queue", target: "q", resultFrom: "yes" },
      'resultFrom must be true or false (got "yes")',
    ],
    [
      "resultFrom on a live subscription",
      { kind: "live", target: "x", resultFrom: true },
      "resultFrom cannot be true on a live subscription: live deliveries are best-effort",
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(parseSubscriptionRequest(body))).toContain(message);
  });
});

describe("parseTopicRequest", () => {
  it.each([
    [undefined, {}],
    [{}, {}],
    [
      { description: "Thumbnails", ordering: "key" },
      { description: "Thumbnails", ordering: "key" },
    ],
    [{ ordering: "none", description: null, extra: 1 }, { ordering: "none" }],
  ])("accepts %j", (body, value) => {
    expect(parseTopicRequest(body)).toEqual({ ok: true, value });
  });

  it.each([
    ["null", null, "body must be a JSON object (got null)"],
    ["an unknown ordering", { ordering: "fifo" }, 'ordering must be "key" or "none" (got "fifo")'],
    [
      "a long description",
      { description: "d".repeat(1025) },
      "description must be 0 to 1024 characters (got 1025)",
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(parseTopicRequest(body))).toBe(message);
  });
});
