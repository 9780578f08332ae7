import { mkdir } from "node:fs/promises";
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../scripts/servers.mjs";
import { startWebhookReceiver } from "../workers/dev/webhook-receiver.mjs";
import { launchPersistent } from "./browser.ts";

const shots = "test-results/demo";
const SEEDED_ADMIN_KEY = "ek_devadmin_errand-local-admin-key-0001";

/** Calls the edge with the seeded admin key (what `npm start`'s seeding does, here by hand). */
async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${inject("edgeUrl")}${path}`, {
    method,
    headers: { authorization: `Bearer ${SEEDED_ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * The `test` environment seeds only the dev tenant's key: give it the demo topic with the three
 * subscriptions `npm start` seeds (the example consumer's queue, a signed webhook to a local
 * receiver, and live sessions).
 */
async function seedDemoTopic(webhookUrl: string): Promise<string> {
  await admin("PUT", "/v1/topics/demo.echo", { ordering: "key" });
  await admin("POST", "/v1/topics/demo.echo/subscriptions", {
    kind: "queue",
    target: "errand-delivery",
    resultFrom: true,
  });
  const hook = await admin<{ secret: string }>("POST", "/v1/topics/demo.echo/subscriptions", {
    kind: "webhook",
    target: webhookUrl,
  });
  await admin("POST", "/v1/topics/demo.echo/subscriptions", { kind: "live", target: "demo-sessions" });
  return hook.secret;
}

/** Walks the demo as a person would, asserting on what is visible, and saves screenshots. */
describe("the demo page", () => {
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  let page: Page;
  let receiver: { url: string; stop: () => Promise<void> } | undefined;
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    const port = await freePort();
    const secret = await seedDemoTopic(`http://127.0.0.1:${port}/webhook`);
    receiver = await startWebhookReceiver({ port, secret });
    browser = await launchPersistent();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1200, height: 1400 });
    await page.goto(inject("demoUrl"));
    await page.waitForSelector("body[data-ready=true]");
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.stop();
  });

  const row = (type: string) => page.locator(`#work-list li[data-type=${type}]`).first();
  const stateOf = (locator: ReturnType<Page["locator"]>) => locator.getAttribute("data-state");

  it("runs heavy tasks on workers and shows their progress reach 100%", async () => {
    await page.click("#run-primes");
    await page.click("#run-blur");
    await page.click("#run-hash");
    for (const type of ["primes", "blur", "hash"]) {
      await expect.poll(() => stateOf(row(type)), { timeout: 180_000 }).toBe("succeeded");
      expect(await row(type).locator(".percent").textContent()).toBe("100%");
    }
    expect(await row("primes").locator(".summary").textContent()).toContain("2,433,654 primes");
    expect(await page.locator("#blur-canvas").isVisible()).toBe(true);
    await page.screenshot({ path: `${shots}/01-heavy-work.png`, fullPage: true });
  });

  it("cancels a running task", async () => {
    await page.click("#run-primes");
    const primes = row("primes");
    await expect.poll(() => stateOf(primes), { timeout: 90_000 }).toBe("running");
    await primes.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => stateOf(primes), { timeout: 90_000 }).toBe("cancelled");
    await page.screenshot({ path: `${shots}/02-cancelled.png`, fullPage: true });
  });

  it("lets flaky tasks die into the dead letters and replays one once the service is healthy", async () => {
    await page.locator("#failure-rate").fill("100");
    await page.click("#run-flaky");
    await expect.poll(() => page.locator("#dead-count").textContent(), { timeout: 120_000 }).toBe("5");
    const letter = page.locator("#dead-list li").first();
    expect(await letter.locator(".summary").textContent()).toContain("simulated failure");
    expect(await letter.locator(".attempts").textContent()).toBe("×4");
    await page.screenshot({ path: `${shots}/03-dead-letters.png`, fullPage: true });

    await page.locator("#failure-rate").fill("0");
    const id = await letter.getAttribute("data-id");
    await letter.getByRole("button", { name: "Replay" }).click();
    await expect.poll(() => page.locator("#dead-count").textContent(), { timeout: 90_000 }).toBe("4");
    await expect
      .poll(() => page.locator(`#flaky-list li[data-id="${id}"]`).getAttribute("data-state"), {
        timeout: 90_000,
      })
      .toBe("succeeded");

    await page.click("#purge-dead");
    await expect.poll(() => page.locator("#dead-count").textContent(), { timeout: 90_000 }).toBe("0");
  });

  it("resumes a task that was running when the page reloaded", async () => {
    await page.click("#run-hash");
    const hash = row("hash");
    await expect.poll(() => stateOf(hash), { timeout: 90_000 }).toBe("running");
    const id = await hash.getAttribute("data-id");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    const resumed = page.locator(`#work-list li[data-id="${id}"]`);
    await expect.poll(() => stateOf(resumed), { timeout: 120_000 }).toBe("succeeded");
    expect(Number((await resumed.locator(".attempts").textContent())?.slice(1))).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${shots}/04-resumed-after-reload.png`, fullPage: true });
  });

  it("shows the local edge as up", async () => {
    await expect
      .poll(() => page.locator("#edge-status").getAttribute("data-state"), { timeout: 90_000 })
      .toBe("up");
  });

  const outbox = () => page.locator("#outbox-count").textContent();
  const edgeRows = () => page.locator("#edge-list li.edge-task");
  let published: string[] = [];

  it("queues edge tasks in the outbox while switched offline, and keeps them across a reload", {
    timeout: 300_000,
  }, async () => {
    await page.check("#offline-switch");
    await expect
      .poll(() => page.locator("#sync-state").textContent(), { timeout: 90_000 })
      .toContain("offline");
    expect(await page.locator("#browser-online").textContent()).toBe("online");
    await page.locator("#edge-count").fill("3");
    await page.click("#edge-publish");
    await expect.poll(outbox, { timeout: 90_000 }).toBe("3");
    await expect.poll(() => edgeRows().count(), { timeout: 90_000 }).toBe(3);
    published = await edgeRows().evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id ?? ""));
    for (const id of published)
      expect(await page.locator(`#edge-list li[data-id="${id}"] .badge`).first().textContent()).toBe(
        "in outbox",
      );
    await page.screenshot({ path: `${shots}/05-offline-outbox.png`, fullPage: true });

    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.isChecked("#offline-switch")).toBe(true);
    await expect.poll(outbox, { timeout: 90_000 }).toBe("3");
    await expect
      .poll(() => edgeRows().evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id ?? "")), {
        timeout: 90_000,
      })
      .toEqual(published);
    await page.screenshot({ path: `${shots}/06-outbox-after-reload.png`, fullPage: true });
  });

  it("goes online and sees every task's deliveries complete, per subscription, with the consumer's result", {
    timeout: 300_000,
  }, async () => {
    await page.uncheck("#offline-switch");
    await expect.poll(outbox, { timeout: 120_000 }).toBe("0");
    for (const id of published) {
      const task = page.locator(`#edge-list li[data-id="${id}"]`);
      await expect.poll(() => task.getAttribute("data-state"), { timeout: 120_000 }).toBe("succeeded");
      for (const kind of ["queue", "webhook", "live"])
        await expect
          .poll(() => task.locator(`.delivery[data-kind=${kind}]`).getAttribute("data-status"), {
            timeout: 120_000,
          })
          .toBe("delivered");
      expect(await task.locator(".edge-head .summary").textContent()).toContain('"by":"example-consumer"');
    }
    const received = await fetch(receiver?.url.replace("/webhook", "/received") ?? "").then(
      (r) => r.json() as Promise<{ received: { id: string }[] }>,
    );
    expect(received.received.map((r) => r.id).sort()).toEqual([...published].sort());
    await page.screenshot({ path: `${shots}/07-edge-delivered.png`, fullPage: true });
  });

  it("counts the edge tasks on the edge dashboard", async () => {
    const stat = (name: string) =>
      page.locator(`#edge-stats [data-stat="${name}"] .stat-value`).textContent();
    await expect.poll(() => stat("succeeded"), { timeout: 90_000 }).toBe("3");
    expect(await stat("dead")).toBe("0");
    const lines = await page.locator("#edge-subs li").allTextContents();
    expect(lines.sort()).toEqual([
      "demo.echo → queue consumer: 3 delivered, 0 pending, 0 dead",
      "demo.echo → this page (live): 3 delivered, 0 pending, 0 dead",
      "demo.echo → webhook receiver: 3 delivered, 0 pending, 0 dead",
    ]);
    await page.screenshot({ path: `${shots}/08-dashboards.png`, fullPage: true });
  });

  it("hears a task published while online over the runtime's own socket, its live delivery delivered", async () => {
    await expect
      .poll(() => page.locator("#feed-state").getAttribute("data-state"), { timeout: 90_000 })
      .toBe("connected");
    await page.locator("#edge-count").fill("1");
    await page.click("#edge-publish");
    await expect.poll(() => edgeRows().count(), { timeout: 90_000 }).toBe(4);
    const id = await edgeRows().first().getAttribute("data-id");
    expect(published).not.toContain(id);
    const live = page.locator(`#edge-list li[data-id="${id}"] .delivery[data-kind=live]`);
    await expect.poll(() => live.getAttribute("data-status"), { timeout: 90_000 }).toBe("delivered");
  });

  it("shows the browser's own offline state, and the sync following it", async () => {
    await browser.context.setOffline(true);
    try {
      await expect
        .poll(() => page.locator("#browser-online").textContent(), { timeout: 90_000 })
        .toBe("offline");
      await expect
        .poll(() => page.locator("#sync-state").textContent(), { timeout: 90_000 })
        .toContain("offline");
      expect(await page.isChecked("#offline-switch")).toBe(false);
    } finally {
      await browser.context.setOffline(false);
    }
    // Vite's client may reload the page once its socket is back; either way it ends up online.
    await page.waitForSelector("body[data-ready=true]");
    await expect
      .poll(() => page.locator("#browser-online").textContent(), { timeout: 90_000 })
      .toBe("online");
  });
});

describe("the demo page when something is wrong", () => {
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    browser = await launchPersistent();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const noStack = (text: string | null) => expect(text).not.toMatch(/\n\s+at |\.ts:\d+/);

  it("says the edge is down and what to do, when nothing answers at the edge's address", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1200, height: 1400 });
    await page.goto(`${inject("demoUrl")}/?edge=${encodeURIComponent(closed)}`);
    await page.waitForSelector("body[data-ready=true]");
    await expect
      .poll(() => page.locator("#edge-status").getAttribute("data-state"), { timeout: 90_000 })
      .toBe("down");
    expect(await page.locator("#edge-detail").textContent()).toContain("Is `npm start` running?");
    await expect
      .poll(() => page.locator("#edge-stats-note").textContent(), { timeout: 90_000 })
      .toContain("The edge is not answering");

    await page.click("#edge-publish");
    await page.waitForSelector("#notice:not([hidden])");
    const message = await page.locator("#notice-text").textContent();
    expect(message).toContain(`The edge at ${closed} is not answering`);
    expect(message).toContain("Start it with `npm start`");
    noStack(message);
    expect(await page.locator("#outbox-count").textContent()).toBe("0");
    await page.screenshot({ path: `${shots}/09-edge-down.png`, fullPage: true });
    await page.close();
  });

  it("says storage is full and what to free, when the browser refuses to store anything", {
    timeout: 300_000,
  }, async () => {
    // A profile of its own: the quota is the origin's, and this test must start from a clean one.
    const own = await launchPersistent();
    try {
      const page = await own.context.newPage();
      await page.setViewportSize({ width: 1200, height: 1400 });
      const cdp = await own.context.newCDPSession(page);
      const origin = new URL(inject("demoUrl")).origin;
      // Chromium applies a quota override to databases opened after it: set it before the page.
      await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: 1 });
      await page.goto(inject("demoUrl"));
      await page.waitForSelector("#notice:not([hidden])");
      const message = await page.locator("#notice-text").textContent();
      expect(message).toContain("storage quota exceeded");
      expect(message).toContain("Purge dead letters and finished tasks");
      noStack(message);
      expect(await page.locator("body").getAttribute("data-ready")).toBeNull();
      await page.screenshot({ path: `${shots}/10-quota-exceeded.png`, fullPage: true });

      await cdp.send("Storage.overrideQuotaForOrigin", { origin });
      await page.click("#notice-dismiss");
      expect(await page.locator("#notice").isHidden()).toBe(true);
      await page.reload();
      await page.waitForSelector("body[data-ready=true]");
      expect(await page.locator("#notice").isHidden()).toBe(true);
    } finally {
      await own.close();
    }
  });
});
