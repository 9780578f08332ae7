import { createServer, type Server } from "node:http";
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../scripts/servers.mjs";
import { launchPersistent } from "./browser.ts";
import { type EnginePages, engineCases, openEngine, playwrightPages } from "./pages.ts";
import { type SyncEdge, startSyncEdge } from "./sync-harness.ts";
import { call, openSyncDrivenPage, openSyncPage } from "./sync-page-driver.ts";

// One edge (wrangler dev with the API and the example consumer, behind the TCP proxy) and one
// browser profile for every scenario: starting wrangler is the slow part of this file. Each
// scenario uses its own database name and pages, and fault rules are reset between them.
let edge: SyncEdge;
let browser: Awaited<ReturnType<typeof launchPersistent>>;
let api: Server | undefined;
let apiUrl: string;
const hits: Record<string, number> = {};

beforeAll(async () => {
  edge = await startSyncEdge();
  browser = await launchPersistent();
  // The app's own API for queued requests: /flaky fails once with 500, /bad always answers 400.
  api = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const headers = { "access-control-allow-origin": "*", "access-control-allow-headers": "*" };
    if (request.method === "OPTIONS") return void response.writeHead(204, headers).end();
    hits[path] = (hits[path] ?? 0) + 1;
    if (path === "/bad") return void response.writeHead(400, headers).end("no such thing");
    if (path === "/flaky" && hits[path] === 1) return void response.writeHead(500, headers).end("down");
    response.writeHead(201, headers).end(`created after ${hits[path]}`);
  });
  const port: number = await freePort();
  await new Promise<void>((resolve) => api?.listen(port, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${port}`;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (api !== undefined) await new Promise((resolve) => api?.close(resolve));
  await edge?.stop();
});

/** Waits until every id is final in the page, then checks one committed effect per task. */
async function expectOneEffectEach(page: Page, edge: SyncEdge, ids: readonly string[]): Promise<void> {
  await expect
    .poll(() => Promise.all(ids.map((id) => call(page, "task", id).then((t) => t?.state))), {
      timeout: 180_000,
      interval: 1000,
    })
    .toEqual(ids.map(() => "succeeded"));
  const effects = edge.effectsOf(ids);
  expect(effects.map((e) => e.task_id).sort()).toEqual([...ids].sort());
}

describe("the outbox under faults", () => {
  let page: Page;
  beforeAll(async () => {
    page = await openSyncPage(browser.context, edge, { subject: "ada", db: "faults" });
    // expect.poll belongs to tests; a hook waits in the page.
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { errand: { syncState(): { connected: boolean } } }).errand.syncState()
          .connected,
      undefined,
      { timeout: 120_000 },
    );
  }, 240_000);
  afterAll(async () => {
    await edge.setFaults([]);
    edge.proxy.setMode("pass");
    // Undefined when the page never opened: the hook's own error says why, not this one.
    await page?.close();
  });

  it("retries a burst of 503s no sooner than Retry-After and applies each task once", async () => {
    await edge.setFaults([{ kind: "unavailable", count: 3, retryAfter: 1 }]);
    const before = (await call(page, "heard"))["edge.retrying"] ?? 0;
    const ids = await call(page, "enqueue", 10);
    await expectOneEffectEach(page, edge, ids);
    expect((await call(page, "heard"))["edge.retrying"] ?? 0).toBeGreaterThan(before);
  }, 300_000);

  it("resends a batch whose response was dropped after commit, which the edge answers duplicate", async () => {
    await edge.setFaults([{ kind: "drop-response", count: 2 }]);
    const ids = await call(page, "enqueue", 10);
    await expectOneEffectEach(page, edge, ids);
  }, 300_000);

  it("survives connections cut after the request reached the edge", async () => {
    edge.proxy.dropResponses(2);
    const ids = await call(page, "enqueue", 10);
    await expectOneEffectEach(page, edge, ids);
  }, 300_000);

  it("sends a rejected item to dead with its error code and the rest of its batch on", async () => {
    edge.proxy.setMode("refuse");
    const ids = await call(page, "enqueue", 8);
    const poison = ids[3] ?? "";
    await edge.setFaults([{ kind: "reject", id: poison }]);
    edge.proxy.setMode("pass");
    await expect
      .poll(() => call(page, "task", poison), { timeout: 120_000, interval: 500 })
      .toMatchObject({ state: "dead", error: "invalid_task" });
    expect(await call(page, "result", poison)).toEqual({ ok: false, code: "invalid_task" });
    const others = ids.filter((id) => id !== poison);
    await expectOneEffectEach(page, edge, others);
    expect(edge.effectsOf([poison])).toEqual([]);
  }, 300_000);

  it("reconnects its status socket after the connection is cut, and hears status again", async () => {
    // The socket closes and the sync opens a new one, sometimes within milliseconds: count the
    // closes rather than hope to see `connected` false between them.
    const closed = (await call(page, "credentials")).socketCloses.length;
    edge.proxy.cut();
    await expect
      .poll(() => call(page, "credentials").then((c) => c.socketCloses.length), { timeout: 90_000 })
      .toBeGreaterThan(closed);
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 120_000 })
      .toBe(true);
    const ids = await call(page, "enqueue", 3);
    await expectOneEffectEach(page, edge, ids);
  }, 300_000);
});

describe("the outbox with several pages and subjects", () => {
  describe("when two pages are open", () => {
    it("lets one push, hands over when it closes, and shows live status in both", async () => {
      const first = await openSyncPage(browser.context, edge, { subject: "ada", db: "tabs" });
      await expect
        .poll(() => call(first, "syncState").then((s) => s?.leading), { timeout: 90_000 })
        .toBe(true);
      const second = await openSyncPage(browser.context, edge, { subject: "ada", db: "tabs" });
      expect((await call(second, "syncState"))?.leading).toBe(false);

      const ids = await call(second, "enqueue", 5);
      for (const page of [first, second]) {
        await expect
          .poll(() => call(page, "heard").then((h) => h["edge.succeeded"] ?? 0), { timeout: 180_000 })
          .toBe(5);
      }

      await first.close();
      await expect
        .poll(() => call(second, "syncState").then((s) => s?.leading), { timeout: 90_000 })
        .toBe(true);
      const more = await call(second, "enqueue", 3);
      await expect
        .poll(() => call(second, "states").then((s) => s.succeeded), { timeout: 180_000 })
        .toBe(ids.length + more.length);
      expect(edge.effectsOf([...ids, ...more])).toHaveLength(8);
      await second.close();
    }, 480_000);
  });

  describe("when two subjects take turns on one browser", () => {
    it("sends nothing of the first under the second after signOut, and neither sees the other's tasks", async () => {
      const ada = await openSyncPage(browser.context, edge, { subject: "ada", db: "subjects" });
      await expect
        .poll(() => call(ada, "syncState").then((s) => s?.connected), { timeout: 90_000 })
        .toBe(true);
      edge.proxy.setMode("refuse");
      const adaIds = await call(ada, "enqueue", 4);
      expect(await call(ada, "signOut")).toBe(4);
      await ada.close();

      edge.proxy.setMode("pass");
      const bob = await openSyncPage(browser.context, edge, { subject: "bob", db: "subjects" });
      const bobIds = await call(bob, "enqueue", 3);
      await expect
        .poll(() => call(bob, "states"), { timeout: 180_000 })
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
    }, 600_000);

    it("keeps a subject's unsent tasks out of another subject's pushes when nobody signed out", async () => {
      const ada = await openSyncPage(browser.context, edge, { subject: "ada", db: "no-signout" });
      await expect
        .poll(() => call(ada, "syncState").then((s) => s?.connected), { timeout: 90_000 })
        .toBe(true);
      edge.proxy.setMode("refuse");
      const adaIds = await call(ada, "enqueue", 2);
      // Stop ada's runtime before the network comes back: a page being closed can still run a
      // backoff timer's push, which would send ada's tasks under ada's own token.
      await call(ada, "close");
      await ada.close();
      edge.proxy.setMode("pass");

      const bob = await openSyncPage(browser.context, edge, { subject: "bob", db: "no-signout" });
      const bobIds = await call(bob, "enqueue", 2);
      await expect
        .poll(() => Promise.all(bobIds.map((id) => call(bob, "task", id).then((t) => t?.state))), {
          timeout: 180_000,
        })
        .toEqual(["succeeded", "succeeded"]);
      expect(await call(bob, "task", adaIds[0] ?? "")).toMatchObject({ state: "pending" });
      expect(edge.effectsOf(adaIds)).toEqual([]);
      await bob.close();
    }, 600_000);
  });
});

describe("the outbox's credentials", () => {
  it("refreshes a refused token once, then pauses the subject until resumed, sending nothing meanwhile", async () => {
    edge.setTokenMode("refused");
    const page = await openSyncPage(browser.context, edge, { subject: "kit", db: "refused" });
    try {
      const ids = await call(page, "enqueue", 3);
      await expect
        .poll(() => call(page, "syncState").then((state) => state?.paused), { timeout: 90_000 })
        .toBe("unauthorized");
      // The first token, then one refresh after the 401 (the push and the status socket each
      // ask for one; they may share it), and no more while paused: nothing went out under any.
      const paused = await call(page, "credentials");
      await page.waitForTimeout(3_000);
      const later = await call(page, "credentials");
      expect(later.tokenFetches).toBe(paused.tokenFetches);
      expect(later.tokenFetches).toBeLessThanOrEqual(3);
      expect(await call(page, "states")).toMatchObject({ pending: 3, sent: 0 });
      expect(edge.effectsOf(ids)).toEqual([]);

      edge.setTokenMode("valid");
      await call(page, "resumeSync");
      await expectOneEffectEach(page, edge, ids);
      expect((await call(page, "syncState"))?.paused).toBeUndefined();
    } finally {
      edge.setTokenMode("valid");
      await call(page, "close");
      await page.close();
    }
  });

  it("answers a 4401 close of the status socket with a fresh token and a new socket, not a loop", async () => {
    // Tokens that live 3 s: the hub closes the socket with 4401 when the one behind it expires.
    const page = await openSyncPage(browser.context, edge, {
      subject: "lin",
      db: "expiring",
      extra: { ttl: "3" },
    });
    try {
      await expect
        .poll(() => call(page, "credentials").then((c) => c.socketCloses.includes(4401)), {
          timeout: 90_000,
        })
        .toBe(true);
      await expect
        .poll(() => call(page, "syncState").then((state) => state?.connected), { timeout: 90_000 })
        .toBe(true);
      const { tokenFetches, socketCloses } = await call(page, "credentials");
      const expired = socketCloses.filter((code) => code === 4401).length;
      // Each 4401 was followed by a refresh, and the socket did not churn through other failures.
      expect(tokenFetches).toBeGreaterThanOrEqual(expired + 1);
      expect(socketCloses.length - expired).toBeLessThanOrEqual(1);
      const ids = await call(page, "enqueue", 2);
      await expectOneEffectEach(page, edge, ids);
    } finally {
      await call(page, "close");
      await page.close();
    }
  });
});

describe("queued requests and Background Sync", () => {
  it("replays queued requests after reconnect: a 500 is retried, a 400 ends dead with its response", async () => {
    const page = await openSyncPage(browser.context, edge, { subject: "ada", db: "requests" });
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 90_000 })
      .toBe(true);
    await browser.context.setOffline(true);
    const flaky = await call(page, "queueRequest", `${apiUrl}/flaky`, "POST", "note");
    const bad = await call(page, "queueRequest", `${apiUrl}/bad`, "POST", "note");
    expect(hits["/flaky"]).toBeUndefined();
    await browser.context.setOffline(false);

    expect(await call(page, "requestResponse", flaky)).toEqual({ status: 201, body: "created after 2" });
    expect(await call(page, "requestResponse", bad)).toEqual({ status: 400, body: "no such thing" });
    expect(hits).toMatchObject({ "/flaky": 2, "/bad": 1 });
    await page.close();
  }, 300_000);

  it("drains the outbox through Background Sync with no page open", async () => {
    const page = await openSyncPage(browser.context, edge, {
      subject: "ada",
      db: "background",
      extra: { bgsync: "1" },
    });
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 90_000 })
      .toBe(true);
    const fixturePages = () => browser.context.pages().filter((p) => p.url().includes("/sync.html"));
    for (const other of fixturePages()) if (other !== page) await other.close();
    await browser.context.setOffline(true);
    let ids: string[];
    try {
      ids = await call(page, "enqueue", 5);
      await page.close();
      expect(fixturePages()).toHaveLength(0);
    } finally {
      await browser.context.setOffline(false);
    }
    await expect.poll(() => acceptedOf("ada", ids), { timeout: 120_000, interval: 500 }).toBe(5);
    expect(fixturePages()).toHaveLength(0);
  }, 300_000);

  it("waits for the tab that holds the sync lock when the sync fires, and drains once it closes", async () => {
    const lock = "errand:handover:sync";
    const pages = () => browser.context.pages().filter((p) => p.url().startsWith("http"));
    for (const other of pages()) await other.close();
    // Another tab of the origin takes the sync lock first, so the runtime's page never leads and
    // never pushes.
    const holder = await browser.context.newPage();
    await holder.goto(`${inject("fixturesUrl")}/index.html`);
    await holder.evaluate(
      (name) =>
        new Promise<void>((held) => {
          void navigator.locks.request(name, () => {
            held();
            return new Promise<void>(() => {});
          });
        }),
      lock,
    );
    const page = await openSyncPage(browser.context, edge, {
      subject: "ada",
      db: "handover",
      extra: { bgsync: "1" },
    });
    const ids = await call(page, "enqueue", 5);
    await page.close();
    // The network is up, so the browser fires the sync at once, while the tab holds the lock:
    // the service worker queues for it (a skip would leave nothing pending) and nobody pushes.
    const waiting = () =>
      holder.evaluate(
        async (name) => (await navigator.locks.query()).pending?.some((l) => l.name === name) ?? false,
        lock,
      );
    await expect.poll(waiting, { timeout: 120_000 }).toBe(true);
    expect(await acceptedOf("ada", ids)).toBe(0);
    await holder.close();
    expect(pages()).toHaveLength(0);
    await expect.poll(() => acceptedOf("ada", ids), { timeout: 120_000, interval: 500 }).toBe(5);
    expect(pages()).toHaveLength(0);
  }, 300_000);
});

/** How many of `ids` the edge has accepted for `subject`. */
async function acceptedOf(subject: string, ids: readonly string[]): Promise<number> {
  const response = await fetch(`${edge.directUrl}/v1/tasks?ids=${ids.join(",")}`, {
    headers: { authorization: `Bearer ${await edge.token(subject)}` },
  });
  return ((await response.json()) as { tasks: unknown[] }).tasks.length;
}

describe.each(engineCases())("the outbox, offline and back, in $title", ({ engine, missing }) => {
  // Chromium is the file's browser; Firefox and WebKit get one each, closed after their walk.
  let pages: EnginePages;
  beforeAll(async () => {
    if (missing !== undefined) return;
    pages =
      engine === "chromium"
        ? playwrightPages("chromium", browser.context, async () => {})
        : await openEngine(engine);
  }, 300_000);
  afterAll(async () => {
    await pages?.close();
  });

  // WebKit (MiniBrowser over WebDriver classic) has no offline emulation: there the edge is cut
  // off at the TCP proxy while navigator.onLine stays true, and the runtime finds out from its
  // failed requests.
  const offline =
    engine === "webkit"
      ? "with the edge cut off (WebKit: no offline emulation, navigator.onLine stays true)"
      : "offline";
  it.skipIf(missing !== undefined)(
    `keeps 1,000 tasks enqueued ${offline} across a reload and applies each exactly once when back online`,
    async () => {
      const page = await openSyncDrivenPage(pages, edge, { subject: "ada", db: `offline-1000-${engine}` });
      // Online first, so the page learns whose outbox it is (a token, then the socket).
      await expect
        .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 120_000 })
        .toBe(true);

      if (pages.context === undefined) edge.proxy.setMode("refuse");
      else await pages.context.setOffline(true);
      const ids = await call(page, "enqueue", 1000);
      // The runtime knows it is offline: from the browser, or (WebKit) from its failed push.
      await expect
        .poll(() => call(page, "syncState").then((s) => s?.online), { timeout: 60_000 })
        .toBe(false);
      expect(await call(page, "states")).toMatchObject({ pending: 1000, sent: 0 });

      // Back on the network for the page itself, but the edge still unreachable, so the reload
      // starts with everything pending and nothing sent.
      edge.proxy.setMode("refuse");
      await pages.context?.setOffline(false);
      await page.reload();
      expect(await call(page, "states")).toMatchObject({ pending: 1000 });
      expect(edge.effectsOf(ids)).toEqual([]);

      edge.proxy.setMode("pass");
      await expect
        .poll(() => call(page, "states").then((s) => s.succeeded), { timeout: 420_000, interval: 1000 })
        .toBe(1000);
      const effects = edge.effectsOf(ids);
      expect(effects).toHaveLength(1000);
      expect(new Set(effects.map((e) => e.task_id))).toEqual(new Set(ids));
      expect(await call(page, "result", ids[0] ?? "")).toMatchObject({
        ok: true,
        value: { echo: { i: 0, subject: "ada" }, by: "example-consumer" },
      });
      await page.close();
    },
    600_000,
  );
});

describe("cancel of edge tasks", () => {
  it("cancels edge tasks whose delivery is held back, online and offline, and the consumer never applies them", async () => {
    const page = await openSyncPage(browser.context, edge, { subject: "cy", db: "cancel" });
    // Held back 15 s by the queue: sent (the edge stored them) but not delivered yet.
    const [online, offline, kept] = await call(page, "enqueueDelayed", 3, 15_000);
    if (online === undefined || offline === undefined || kept === undefined) throw new Error("no ids");
    await expect
      .poll(
        () => Promise.all([online, offline, kept].map((id) => call(page, "task", id).then((t) => t?.state))),
        {
          timeout: 120_000,
          interval: 250,
        },
      )
      .toEqual(["sent", "sent", "sent"]);

    expect(await call(page, "cancel", online)).toBe(true);
    await expect
      .poll(() => call(page, "task", online).then((t) => t?.state), { timeout: 60_000, interval: 250 })
      .toBe("cancelled");

    // Offline, the cancel waits in the outbox and the task stays sent until the edge answers.
    await browser.context.setOffline(true);
    expect(await call(page, "cancel", offline)).toBe(true);
    expect((await call(page, "task", offline))?.state).toBe("sent");
    await browser.context.setOffline(false);
    await expect
      .poll(() => call(page, "task", offline).then((t) => t?.state), { timeout: 60_000, interval: 250 })
      .toBe("cancelled");
    expect(await call(page, "result", online)).toEqual({ ok: false, code: "cancelled" });

    // The task held back with them is applied once its delay is over; the cancelled ones never.
    await expectOneEffectEach(page, edge, [kept]);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(edge.effectsOf([online, offline])).toEqual([]);
    expect(await call(page, "cancel", kept)).toBe(false);
    await page.close();
  }, 300_000);
});
