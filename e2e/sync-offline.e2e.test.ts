import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPersistent } from "./browser.ts";
import { type SyncEdge, startSyncEdge } from "./sync-harness.ts";
import { call, openSyncPage } from "./sync-page-driver.ts";

describe("the outbox, offline and back", () => {
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

  it("keeps 1,000 tasks enqueued offline across a reload and applies each exactly once when back online", async () => {
    const page = await openSyncPage(browser.context, edge, { subject: "ada", db: "offline-1000" });
    // Online first, so the page learns whose outbox it is (a token, then the socket).
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 30_000 })
      .toBe(true);

    await browser.context.setOffline(true);
    const ids = await call(page, "enqueue", 1000);
    expect(await call(page, "states")).toMatchObject({ pending: 1000, sent: 0 });

    // Back on the network for the page itself, but the edge still unreachable, so the reload
    // starts with everything pending and nothing sent.
    edge.proxy.setMode("refuse");
    await browser.context.setOffline(false);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === "1");
    expect(await call(page, "states")).toMatchObject({ pending: 1000 });
    expect(edge.effectsOf(ids)).toEqual([]);

    edge.proxy.setMode("pass");
    await expect
      .poll(() => call(page, "states").then((s) => s.succeeded), { timeout: 120_000, interval: 1000 })
      .toBe(1000);
    const effects = edge.effectsOf(ids);
    expect(effects).toHaveLength(1000);
    expect(new Set(effects.map((e) => e.task_id))).toEqual(new Set(ids));
    expect(await call(page, "result", ids[0] ?? "")).toMatchObject({
      ok: true,
      value: { echo: { i: 0, subject: "ada" }, by: "example-consumer" },
    });
    await page.close();
  }, 240_000);
});
