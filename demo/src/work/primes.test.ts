import { describe, expect, it } from "vitest";
import { countPrimes } from "./primes.ts";

describe("countPrimes", () => {
  it("counts the primes below known limits", async () => {
    expect(await countPrimes(2)).toBe(0);
    expect(await countPrimes(3)).toBe(1);
    expect(await countPrimes(10)).toBe(4);
    expect(await countPrimes(100)).toBe(25);
    expect(await countPrimes(1_000_000)).toBe(78_498);
  });

  it("gives the same count whatever the segment size", async () => {
    expect(await countPrimes(100_000, { segment: 997 })).toBe(await countPrimes(100_000));
  });

  it("reports rising progress that ends at 1", async () => {
    const seen: number[] = [];
    await countPrimes(10_000, { segment: 1000, onProgress: (f) => seen.push(f) });
    expect(seen.length).toBe(10);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(1);
  });

  it("stops when its signal aborts", async () => {
    const controller = new AbortController();
    await expect(
      countPrimes(1_000_000, {
        segment: 1000,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toThrow(/abort/i);
  });

  it("refuses a limit that is not a non-negative integer", async () => {
    await expect(countPrimes(-1)).rejects.toThrow(RangeError);
    await expect(countPrimes(1.5)).rejects.toThrow(RangeError);
  });
});
