// Outbox sync benchmark: 10,000 edge tasks enqueued while offline (IndexedDB on disk, a
// persistent Chromium profile), then the time from reconnect (`setOffline(false)`) until the
// edge accepted every one, against a real `wrangler dev --env test` on 127.0.0.1. Baseline, in
// the same run and against the same edge: Node posting the same number of tasks straight to
// `POST /v1/tasks` in 100-task batches, 4 requests in flight (no browser, no IndexedDB). Prints a
// table with the ratio and how much of each measurement this machine stood still
// (bench/pause-meter.ts); asserts nothing.
import { startSyncEdge } from "../e2e/sync-harness.ts";
import { openBenchBrowser } from "./browser-harness.ts";
import { startPauseMeter } from "./pause-meter.ts";

const TASKS = Number(process.env.SYNC_BENCH_TASKS ?? 10_000);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const edge = await startSyncEdge();
const browser = await openBenchBrowser("sync");
const meter = startPauseMeter();
const { context } = browser;

try {
  // Baseline first, so the client's run does not share the edge with it.
  const token = await edge.token("baseline");
  const baselineStart = performance.now();
  const batches = Array.from({ length: Math.ceil(TASKS / 100) }, (_, b) =>
    Array.from({ length: Math.min(100, TASKS - b * 100) }, () => ({
      id: crypto.randomUUID(),
      topic: "demo.echo",
      payload: { n: b },
    })),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const tasks = batches[next++];
        const response = await fetch(`${edge.directUrl}/v1/tasks`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ tasks }),
        });
        if (response.status !== 200) throw new Error(`baseline push answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  const baselineMs = performance.now() - baselineStart;

  const query = new URLSearchParams({ edge: edge.url, token: edge.tokenUrl, subject: "ada", db: "bench" });
  const page = await context.newPage();
  await page.goto(`${browser.url}sync.html?${query}`, { timeout: 120_000 });
  await page.waitForFunction(() => document.body.dataset.ready === "1", undefined, { timeout: 60_000 });
  const api = "(globalThis.syncPage)";
  await page.waitForFunction(`${api}.syncState()?.connected === true`, undefined, { timeout: 60_000 });

  await context.setOffline(true);
  const enqueueStart = performance.now();
  await page.evaluate(`${api}.enqueue(${TASKS})`);
  const enqueueMs = performance.now() - enqueueStart;

  await context.setOffline(false);
  const syncStart = performance.now();
  await page.waitForFunction(`${api}.accepted() >= ${TASKS}`, undefined, { timeout: 600_000, polling: 50 });
  const syncMs = performance.now() - syncStart;
  const machine = {
    baseline: await meter.describe(baselineStart, baselineStart + baselineMs),
    enqueue: await meter.describe(enqueueStart, enqueueStart + enqueueMs),
    sync: await meter.describe(syncStart, syncStart + syncMs),
  };

  console.log(`\nOutbox sync: ${fmt(TASKS)} edge tasks, 100 per request, 4 requests in flight\n`);
  console.table([
    {
      measure: `enqueue ${fmt(TASKS)} offline (IndexedDB, strict)`,
      ms: fmt(enqueueMs),
      ratio: "",
      machine: machine.enqueue,
    },
    {
      measure: "baseline: Node POSTs straight to the edge",
      ms: fmt(baselineMs),
      "tasks/s": fmt((TASKS / baselineMs) * 1000),
      ratio: "1.00",
      machine: machine.baseline,
    },
    {
      measure: "reconnect → all accepted (browser outbox)",
      ms: fmt(syncMs),
      "tasks/s": fmt((TASKS / syncMs) * 1000),
      ratio: (syncMs / baselineMs).toFixed(2),
      machine: machine.sync,
    },
  ]);
} finally {
  await meter.stop();
  await browser.close();
  await edge.stop();
}
