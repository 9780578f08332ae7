import { describe, expect, it } from "vitest";
import type { DrainResult } from "./outbox-pusher.ts";
import { startPushLoop } from "./push-loop.ts";

function recorder(name: string, log: string[]) {
  return {
    drain: async (): Promise<DrainResult> => {
      log.push(name);
      return { kind: "idle" };
    },
    lead: () => {
      log.push(`${name}:lead`);
      return () => log.push(`${name}:stop`);
    },
    report: () => {},
    failed: () => {},
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe("startPushLoop", () => {
  it("lets one holder of the lock drain, and the next take over when it closes", async () => {
    const lock = `test:${crypto.randomUUID()}`;
    const log: string[] = [];
    const first = startPushLoop(lock, recorder("a", log));
    await until(() => first.leading);
    const second = startPushLoop(lock, recorder("b", log));
    second.wake();
    await new Promise((r) => setTimeout(r, 50));
    expect(second.leading).toBe(false);
    expect(log.filter((e) => e.startsWith("b"))).toEqual([]);

    await first.close();
    await until(() => second.leading);
    expect(log).toContain("a:stop");
    expect(log.indexOf("b:lead")).toBeGreaterThan(log.indexOf("a:stop"));
    await second.close();
  });

  it("drains again when woken, without waiting for its timer", async () => {
    const log: string[] = [];
    const loop = startPushLoop(`test:${crypto.randomUUID()}`, recorder("a", log));
    await until(() => log.filter((e) => e === "a").length === 1);
    loop.wake();
    await until(() => log.filter((e) => e === "a").length === 2);
    await loop.close();
  });

  it("gives up its place in line when closed before it ever led", async () => {
    const lock = `test:${crypto.randomUUID()}`;
    const log: string[] = [];
    const first = startPushLoop(lock, recorder("a", log));
    await until(() => first.leading);
    const second = startPushLoop(lock, recorder("b", log));
    await second.close();
    await first.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(log.filter((e) => e.startsWith("b"))).toEqual([]);
  });
});
