import { describe, expect, it } from "vitest";
import { flakyStep } from "./flaky.ts";

describe("flakyStep", () => {
  it("fails when the draw is below the failure rate and succeeds otherwise", async () => {
    await expect(flakyStep(0.5, { delayMs: 0, random: () => 0.49 })).rejects.toThrow(/simulated failure/);
    await expect(flakyStep(0.5, { delayMs: 0, random: () => 0.5 })).resolves.toBe("ok");
  });

  it("never fails at rate 0 and always fails at rate 1", async () => {
    await expect(flakyStep(0, { delayMs: 0, random: () => 0 })).resolves.toBe("ok");
    await expect(flakyStep(1, { delayMs: 0, random: () => 0.999 })).rejects.toThrow();
  });

  it("refuses a rate outside 0..1 and stops when aborted", async () => {
    await expect(flakyStep(2)).rejects.toThrow(RangeError);
    const controller = new AbortController();
    const step = flakyStep(0, { delayMs: 10_000, signal: controller.signal });
    controller.abort();
    await expect(step).rejects.toThrow();
  });
});
