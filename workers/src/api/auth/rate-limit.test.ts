import { describe, expect, it } from "vitest";
import { RateWindows, WINDOW_MS } from "./rate-limit.ts";

describe("RateWindows", () => {
  const limits = [
    { key: "t", limit: 5 },
    { key: "s", limit: 2 },
  ];

  it("lets requests through until the smallest budget is spent, then says how long to wait", () => {
    const windows = new RateWindows();
    expect(windows.charge(limits, 1_000)).toBeUndefined();
    expect(windows.charge(limits, 2_000)).toBeUndefined();
    expect(windows.charge(limits, 31_000)).toBe(30);
  });

  it("charges nothing when a request is refused", () => {
    const windows = new RateWindows();
    windows.charge(limits, 0);
    windows.charge(limits, 0);
    for (let i = 0; i < 10; i++) windows.charge(limits, 0);
    // Only the two admitted requests counted against "t": three more fit under its limit of 5.
    const tenantOnly = [{ key: "t", limit: 5 }];
    expect([0, 0, 0, 0].map(() => windows.charge(tenantOnly, 0))).toEqual([
      undefined,
      undefined,
      undefined,
      60,
    ]);
  });

  it("opens a fresh window once the last one ended", () => {
    const windows = new RateWindows();
    windows.charge(limits, 0);
    windows.charge(limits, 0);
    expect(windows.charge(limits, WINDOW_MS - 1)).toBe(1);
    expect(windows.charge(limits, WINDOW_MS)).toBeUndefined();
  });
});
