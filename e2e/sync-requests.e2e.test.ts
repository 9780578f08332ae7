import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../scripts/servers.mjs";
import { launchPersistent } from "./browser.ts";
import { type SyncEdge, startSyncEdge } from "./sync-harness.ts";
import { call, openSyncPage } from "./sync-page-driver.ts";

describe("queued requests and Background Sync", () => {
  let edge: SyncEdge;
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  let api: Server;
  let apiUrl: string;
  const hits: Record<string, number> = {};
  beforeAll(async () => {
    edge = await startSyncEdge();
    browser = await launchPersistent();
    // The app's own API: /flaky fails once with 500, /bad always answers 400.
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
    await new Promise<void>((resolve) => api.listen(port, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${port}`;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => api?.close(resolve));
    await edge?.stop();
  });

  it("replays queued requests after reconnect: a 500 is retried, a 400 ends dead with its response", async () => {
    const page = await openSyncPage(browser.context, edge, { subject: "ada", db: "requests" });
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 30_000 })
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
  }, 120_000);

  it("drains the outbox through Background Sync with no page open", async () => {
    const page = await openSyncPage(browser.context, edge, {
      subject: "ada",
      db: "background",
      extra: { bgsync: "1" },
    });
    await expect
      .poll(() => call(page, "syncState").then((s) => s?.connected), { timeout: 30_000 })
      .toBe(true);
    await browser.context.setOffline(true);
    const ids = await call(page, "enqueue", 5);
    await page.close();
    expect(browser.context.pages()).toHaveLength(0);

    await browser.context.setOffline(false);
    const token = await edge.token("ada");
    await expect
      .poll(
        async () => {
          const response = await fetch(`${edge.directUrl}/v1/tasks?ids=${ids.join(",")}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          return ((await response.json()) as { tasks: unknown[] }).tasks.length;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(5);
    expect(browser.context.pages()).toHaveLength(0);
  }, 120_000);
});
