import { describe, expect, it } from "vitest";
import { publishSetting, subscribeSetting } from "./live-setting.ts";

describe("a live setting over BroadcastChannel", () => {
  it("gives a late subscriber the page's current value by asking for it", async () => {
    const name = `setting-${crypto.randomUUID()}`;
    const value = 0.25;
    publishSetting(name, () => value);
    const read = subscribeSetting(name);
    expect(await read(0.9, 5_000)).toBe(0.25);
  });

  it("follows announced changes", async () => {
    const name = `setting-${crypto.randomUUID()}`;
    let value = 0.1;
    const publisher = publishSetting(name, () => value);
    const read = subscribeSetting(name);
    expect(await read(1, 5_000)).toBe(0.1);
    value = 0.6;
    publisher.announce();
    await expect.poll(() => read(1, 5_000)).toBe(0.6);
  });

  it("falls back when no page answers", async () => {
    const read = subscribeSetting(`setting-${crypto.randomUUID()}`);
    expect(await read(0.42, 50)).toBe(0.42);
  });
});
