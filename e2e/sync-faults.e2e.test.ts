import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPersistent } from "./browser.ts";
import { type SyncEdge, startSyncEdge } from "./sync-harness.ts";
import { call, openSyncPage } from "./sync-page-driver.ts";

/** Waits until every id is final in the page, then checks one committed effect per task. */
async function expectOneEffectEach(page: Page, edge: SyncEdge, ids: readonly string[]): Promise<void> {
  await expect
    .poll(() => Promise.all(ids.map((id) => call(page, "task", id).then((t) => t?.state))), {
      timeout: 90_000,
      interval: 1000,
    })
    .toEqual(ids.map(() => "succeeded"));
  const effects = edge.effectsOf(ids);
  expect(effects.map((e) => e.task_id).sort()).toEqual([...ids].sort());
}

describe("the outbox under faults", () => {
  let edge: SyncEdge;
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  let page: Page;
  beforeAll(async () => {
    edge = await startSyncEdge();
    browser = await launchPersistent();
    page = await openSyncPage(browser.context, edge, { subject: "ada", db: "faults" });
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 30_000 })
      .toBe(true);
  }, 180_000);
  afterAll(async () => {
    await edge?.setFaults([]).catch(() => {});
    await browser?.close();
    await edge?.stop();
  });

  it("retries a burst of 503s no sooner than Retry-After and applies each task once", async () => {
    await edge.setFaults([{ kind: "unavailable", count: 3, retryAfter: 1 }]);
    const before = (await call(page, "heard"))["edge.retrying"] ?? 0;
    const ids = await call(page, "enqueue", 10);
    await expectOneEffectEach(page, edge, ids);
    expect((await call(page, "heard"))["edge.retrying"] ?? 0).toBeGreaterThan(before);
  }, 120_000);

  it("resends a batch whose response was dropped after commit, which the edge answers duplicate", async () => {
    await edge.setFaults([{ kind: "drop-response", count: 2 }]);
    const ids = await call(page, "enqueue", 10);
    await expectOneEffectEach(page, edge, ids);
  }, 120_000);

  it("survives connections cut after the request reached the edge", async () => {
    edge.proxy.dropResponses(2);
    const ids = await call(page, "enqueue", 10);
    await expectOneEffectEach(page, edge, ids);
  }, 120_000);

  it("sends a rejected item to dead with its error code and the rest of its batch on", async () => {
    edge.proxy.setMode("refuse");
    const ids = await call(page, "enqueue", 8);
    const poison = ids[3] ?? "";
    await edge.setFaults([{ kind: "reject", id: poison }]);
    edge.proxy.setMode("pass");
    await expect
      .poll(() => call(page, "task", poison), { timeout: 60_000, interval: 500 })
      .toMatchObject({ state: "dead", error: "invalid_task" });
    expect(await call(page, "result", poison)).toEqual({ ok: false, code: "invalid_task" });
    const others = ids.filter((id) => id !== poison);
    await expectOneEffectEach(page, edge, others);
    expect(edge.effectsOf([poison])).toEqual([]);
  }, 120_000);

  it("reconnects its status socket after the connection is cut, and hears status again", async () => {
    edge.proxy.cut();
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 30_000 })
      .toBe(false);
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 60_000 })
      .toBe(true);
    const ids = await call(page, "enqueue", 3);
    await expectOneEffectEach(page, edge, ids);
  }, 120_000);
});
