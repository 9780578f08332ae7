import { isErrandError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { appErrorTasks, QuotaReached } from "../fixtures/app-error.ts";
import { testRuntimes } from "../fixtures/runtimes.ts";
import type { TaskEventDetail } from "../lifecycle/task-events.ts";

const { runtime } = testRuntimes();

const workerUrl = new URL("../fixtures/app-error.worker.ts", import.meta.url);

describe("an app's own error class", () => {
  describe("when a worker's handler throws it", () => {
    it("rejects result() with that class, its fields, code and retryability", async () => {
      const errand = await runtime({ tasks: appErrorTasks, worker: { url: workerUrl, size: 1 } });
      const handle = await errand.enqueue("spend", { limit: 3 }, { retry: { maxAttempts: 1 } });
      const error = await handle.result().then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(QuotaReached);
      expect(error).toMatchObject({ limit: 3, message: "Quota of 3 reached", code: "quota_reached" });
      expect(isErrandError(error)).toBe(false);
    });

    it("arrives as that class in the task's events, in the tab that ran it and in another", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const options = { tasks: appErrorTasks, dbName, worker: { url: workerUrl, size: 1 } };
      // Two contexts of one database (as two tabs); whichever runs the task, the other hears it.
      const tabs = [await runtime(options), await runtime(options)];
      const heard = tabs.map(
        (tab) => new Promise<TaskEventDetail>((resolve) => tab.on("task.dead", resolve)),
      );
      await tabs[0]?.enqueue("spend", { limit: 5 }, { retry: { maxAttempts: 1 } });
      const details = await Promise.all(heard);
      expect(details.map((detail) => detail.remote).sort()).toEqual([false, true]);
      for (const detail of details) {
        expect(detail.error).toBeInstanceOf(QuotaReached);
        expect(detail.error).toMatchObject({ limit: 5, code: "quota_reached" });
      }
    });
  });
});
