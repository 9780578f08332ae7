import { ValidationError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { issuesOf } from "../fixtures/issues.ts";
import { resolvePoolOptions, restartDelay } from "./pool-options.ts";

const createWorker = () => ({}) as Worker;

describe("resolvePoolOptions", () => {
  it("sizes the pool one below the core count, at least 1, with one attempt per worker", () => {
    expect(resolvePoolOptions({ createWorker }, 8)).toMatchObject({ size: 7, concurrencyPerWorker: 1 });
    expect(resolvePoolOptions({ createWorker }, 1).size).toBe(1);
    expect(resolvePoolOptions({ createWorker }, Number.NaN).size).toBe(1);
  });

  it("applies the documented defaults", () => {
    expect(resolvePoolOptions({ url: "/w.js" }, 4)).toMatchObject({
      prewarm: false,
      idleTimeoutMs: undefined,
      graceMs: 1_000,
      startTimeoutMs: 30_000,
      restartBackoff: { baseMs: 100, maxMs: 30_000 },
    });
  });

  it("keeps the options it is given", () => {
    const settings = resolvePoolOptions(
      { createWorker, size: 3, concurrencyPerWorker: 4, prewarm: true, idleTimeoutMs: 0, graceMs: 5 },
      2,
    );
    expect(settings).toMatchObject({
      size: 3,
      concurrencyPerWorker: 4,
      prewarm: true,
      idleTimeoutMs: 0,
      graceMs: 5,
    });
  });

  describe("when options are invalid", () => {
    it("refuses TypeScript that a bundler inlined as a data URL, naming the pattern that works", () => {
      const run = () => resolvePoolOptions({ url: "data:video/mp2t;base64,aW1wb3J0" }, 2);
      expect(issuesOf(run)).toEqual(["url"]);
      expect(run).toThrow("new Worker(new URL(");
    });

    it("refuses a duration longer than a timer can wait (2^31 - 1 ms), and a start timeout of 0", () => {
      const tooLong = 2 ** 31;
      const paths = (options: object) => issuesOf(() => resolvePoolOptions({ createWorker, ...options }, 2));
      expect(paths({ graceMs: tooLong, startTimeoutMs: tooLong, idleTimeoutMs: tooLong })).toEqual([
        "idleTimeoutMs",
        "graceMs",
        "startTimeoutMs",
      ]);
      expect(paths({ startTimeoutMs: 0 })).toEqual(["startTimeoutMs"]);
      expect(
        resolvePoolOptions(
          { createWorker, graceMs: 2 ** 31 - 1, startTimeoutMs: 2 ** 31 - 1, idleTimeoutMs: 2 ** 31 - 1 },
          2,
        ),
      ).toMatchObject({ graceMs: 2 ** 31 - 1, startTimeoutMs: 2 ** 31 - 1, idleTimeoutMs: 2 ** 31 - 1 });
    });

    it("refuses both url and createWorker, or neither", () => {
      expect(() => resolvePoolOptions({ url: "/w.js", createWorker }, 2)).toThrow(ValidationError);
      expect(() => resolvePoolOptions({}, 2)).toThrow(/exactly one of url and createWorker/);
    });

    it("lists every bad number in one ValidationError", () => {
      let caught: unknown;
      try {
        resolvePoolOptions(
          { createWorker, size: 0, concurrencyPerWorker: 1.5, graceMs: -1, idleTimeoutMs: Number.NaN },
          2,
        );
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).issues.map((i) => i.path)).toEqual([
        "size",
        "concurrencyPerWorker",
        "idleTimeoutMs",
        "graceMs",
      ]);
      expect((caught as ValidationError).code).toBe("invalid_input");
    });

    it("refuses a createWorker that is not a function", () => {
      expect(() => resolvePoolOptions({ createWorker: "nope" as unknown as () => Worker }, 2)).toThrow(
        /createWorker must be a function/,
      );
    });
  });
});

describe("restartDelay", () => {
  const backoff = { baseMs: 100, maxMs: 1_000 };

  it("restarts at once after no crash", () => {
    expect(restartDelay(0, backoff)).toBe(0);
  });

  it("doubles with each consecutive crash up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => restartDelay(n, backoff))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });
});
