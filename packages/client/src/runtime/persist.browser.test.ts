import { defineTasks, task } from "@errand/core";
import { afterEach, describe, expect, it } from "vitest";
import { createErrand } from "./create-errand.ts";

const tasks = defineTasks({ work: task<null, null>() });

// An own property over Navigator's getter (or in its place, where WebKitGTK has no
// StorageManager), removed after each test.
afterEach(() => {
  Reflect.deleteProperty(navigator, "storage");
});

describe("asking for persistent storage", () => {
  it("starts the runtime without waiting for an answer that never comes, as Firefox's unanswered permission prompt does", async () => {
    let asked = 0;
    Object.defineProperty(navigator, "storage", {
      configurable: true,
      value: {
        persist: () => {
          asked += 1;
          return new Promise<boolean>(() => {});
        },
        persisted: async () => false,
        estimate: async () => ({ usage: 0, quota: 1 }),
      },
    });
    const started = createErrand({ tasks, dbName: `q-${crypto.randomUUID()}` });
    const outcome = await Promise.race([
      started,
      new Promise<"still starting">((resolve) => setTimeout(() => resolve("still starting"), 10_000)),
    ]);
    expect(outcome).not.toBe("still starting");
    expect(asked).toBe(1);
    const errand = await started;
    expect((await errand.stats()).storage.persisted).toBe(false);
    await errand.close();
  });
});
