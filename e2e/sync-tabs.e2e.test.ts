import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPersistent } from "./browser.ts";
import { type SyncEdge, startSyncEdge } from "./sync-harness.ts";
import { call, openSyncPage } from "./sync-page-driver.ts";

describe("the outbox with several pages and subjects", () => {
  let edge: SyncEdge;
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  beforeAll(async () => {
    edge = await startSyncEdge();
    browser = await launchPersistent();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
  });

  describe("when two pages are open", () => {
    it("lets one push, hands over when it closes, and shows live status in both", async () => {
      const first = await openSyncPage(browser.context, edge, { subject: "ada", db: "tabs" });
      await expect
        .poll(() => call(first, "syncState").then((s) => s?.leading), { timeout: 30_000 })
        .toBe(true);
      const second = await openSyncPage(browser.context, edge, { subject: "ada", db: "tabs" });
      expect((await call(second, "syncState"))?.leading).toBe(false);

      const ids = await call(second, "enqueue", 5);
      for (const page of [first, second]) {
        await expect
          .poll(() => call(page, "heard").then((h) => h["edge.succeeded"] ?? 0), { timeout: 90_000 })
          .toBe(5);
      }

      await first.close();
      await expect
        .poll(() => call(second, "syncState").then((s) => s?.leading), { timeout: 30_000 })
        .toBe(true);
      const more = await call(second, "enqueue", 3);
      await expect
        .poll(() => call(second, "states").then((s) => s.succeeded), { timeout: 90_000 })
        .toBe(ids.length + more.length);
      expect(edge.effectsOf([...ids, ...more])).toHaveLength(8);
      await second.close();
    }, 240_000);
  });

  describe("when two subjects take turns on one browser", () => {
    it("sends nothing of the first under the second after signOut, and neither sees the other's tasks", async () => {
      const ada = await openSyncPage(browser.context, edge, { subject: "ada", db: "subjects" });
      await expect
        .poll(() => call(ada, "syncState").then((s) => s?.connected), { timeout: 30_000 })
        .toBe(true);
      edge.proxy.setMode("refuse");
      const adaIds = await call(ada, "enqueue", 4);
      expect(await call(ada, "signOut")).toBe(4);
      await ada.close();

      edge.proxy.setMode("pass");
      const bob = await openSyncPage(browser.context, edge, { subject: "bob", db: "subjects" });
      const bobIds = await call(bob, "enqueue", 3);
      await expect
        .poll(() => call(bob, "states"), { timeout: 90_000 })
        .toMatchObject({ succeeded: 3, pending: 0 });
      expect(await call(bob, "task", adaIds[0] ?? "")).toBeNull();

      const read = async (subject: string, ids: readonly string[]) => {
        const response = await fetch(`${edge.directUrl}/v1/tasks?ids=${ids.join(",")}`, {
          headers: { authorization: `Bearer ${await edge.token(subject)}` },
        });
        return ((await response.json()) as { tasks: { id: string }[] }).tasks.map((t) => t.id);
      };
      expect(await read("bob", adaIds)).toEqual([]);
      expect(await read("ada", adaIds)).toEqual([]);
      expect(await read("ada", bobIds)).toEqual([]);
      expect((await read("bob", bobIds)).sort()).toEqual([...bobIds].sort());
      expect(edge.effectsOf(adaIds)).toEqual([]);
      expect(new Set(edge.effectsOf(bobIds).map((e) => e.subject))).toEqual(new Set(["bob"]));
      await bob.close();
    }, 180_000);

    it("keeps a subject's unsent tasks out of another subject's pushes when nobody signed out", async () => {
      const ada = await openSyncPage(browser.context, edge, { subject: "ada", db: "no-signout" });
      await expect
        .poll(() => call(ada, "syncState").then((s) => s?.connected), { timeout: 30_000 })
        .toBe(true);
      edge.proxy.setMode("refuse");
      const adaIds = await call(ada, "enqueue", 2);
      await ada.close();
      edge.proxy.setMode("pass");

      const bob = await openSyncPage(browser.context, edge, { subject: "bob", db: "no-signout" });
      const bobIds = await call(bob, "enqueue", 2);
      await expect
        .poll(() => Promise.all(bobIds.map((id) => call(bob, "task", id).then((t) => t?.state))), {
          timeout: 90_000,
        })
        .toEqual(["succeeded", "succeeded"]);
      expect(await call(bob, "task", adaIds[0] ?? "")).toMatchObject({ state: "pending" });
      expect(edge.effectsOf(adaIds)).toEqual([]);
      await bob.close();
    }, 180_000);
  });
});
