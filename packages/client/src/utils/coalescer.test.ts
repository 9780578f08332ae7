import { describe, expect, it } from "vitest";
import { coalesce } from "./coalescer.ts";

describe("coalesce", () => {
  it("flushes calls made together as one batch, each getting its own output", async () => {
    const batches: number[][] = [];
    const double = coalesce(async (items: number[]) => {
      batches.push(items);
      return items.map((n) => n * 2);
    });
    expect(await Promise.all([double(1), double(2), double(3)])).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("gathers calls made during a flush into the next batch", async () => {
    const batches: number[][] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const echo = coalesce(async (items: number[]) => {
      batches.push(items);
      await gate;
      return items;
    });
    const first = echo(1);
    await Promise.resolve();
    await Promise.resolve();
    const later = [echo(2), echo(3)];
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it("rejects every call of a batch whose flush failed, and recovers for the next", async () => {
    let fail = true;
    const maybe = coalesce(async (items: string[]) => {
      if (fail) throw new Error("disk full");
      return items;
    });
    const results = await Promise.allSettled([maybe("a"), maybe("b")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await maybe("c")).toBe("c");
  });
});
