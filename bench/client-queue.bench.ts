// Durable queue benchmark (issue 3): enqueueMany beside one raw idb bulk put; concurrent single
// enqueue() calls beside raw puts of one transaction each; the runtime's claim → complete drain
// beside a naive cursor claim. Chromium with a persistent profile on disk (in-memory contexts
// inflate IndexedDB figures), the page served by the e2e fixtures' Vite config on 127.0.0.1.
// Prints tables with ratios; asserts nothing.
import { loadWarm, openBenchBrowser, pageCaller } from "./browser-harness.ts";

const BULK = Number(process.env.QUEUE_BENCH_BULK ?? 10_000);
const SINGLES = Number(process.env.QUEUE_BENCH_SINGLES ?? 1_000);
const DRAIN = Number(process.env.QUEUE_BENCH_DRAIN ?? 2_000);
const SLOTS = 100;
const ROUNDS = 3;

interface Measure {
  ops: number;
  ms: number;
}

const rate = (m: Measure) => (m.ops / m.ms) * 1000;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const browser = await openBenchBrowser("queue");

try {
  const page = await browser.context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  const call = pageCaller(page, "queueBench") as (name: string, ...args: unknown[]) => Promise<Measure>;
  await loadWarm(
    async () => {
      await page.goto(`${browser.url}queue-bench.html`);
      await page.waitForFunction(() => document.getElementById("state")?.textContent === "ready", null, {
        timeout: 60_000,
      });
    },
    async () => {
      for (const name of ["enqueueMany", "rawBulkPut", "enqueueConcurrent", "rawConcurrentPuts"])
        await call(name, 10);
      await call("runtimeDrain", 10, 4);
      await call("naiveDrain", 10, 4);
    },
  );

  /** Best of ROUNDS per contender; each round runs both in turn, so drift hits both alike. */
  async function compare(
    title: string,
    ours: [string, () => Promise<Measure>],
    base: [string, () => Promise<Measure>],
    target: string,
  ) {
    let bestOurs = 0;
    let bestBase = 0;
    for (let round = 0; round < ROUNDS; round++) {
      bestBase = Math.max(bestBase, rate(await base[1]()));
      bestOurs = Math.max(bestOurs, rate(await ours[1]()));
    }
    console.log(`\n${title}, best of ${ROUNDS} (target ${target}):`);
    console.table([
      { contender: base[0], "ops/s": fmt(bestBase) },
      { contender: ours[0], "ops/s": fmt(bestOurs), "÷ baseline": (bestOurs / bestBase).toFixed(2) },
    ]);
  }

  await compare(
    `${fmt(BULK)} tasks of ~200 bytes in one call`,
    ["errand enqueueMany (validate, clone check, strict)", () => call("enqueueMany", BULK)],
    ["raw idb put, one strict transaction", () => call("rawBulkPut", BULK)],
    "≥ 0.7×",
  );
  await compare(
    `${fmt(SINGLES)} concurrent single writes`,
    ["errand enqueue() × n (coalesced, strict)", () => call("enqueueConcurrent", SINGLES)],
    ["raw idb put × n, one strict transaction each", () => call("rawConcurrentPuts", SINGLES)],
    "≥ 3×",
  );
  await compare(
    `Claim → complete of ${fmt(DRAIN)} stored tasks, ${SLOTS} at a time`,
    [
      "errand runtime (leases, fencing, coalesced commits, no-op handler)",
      () => call("runtimeDrain", DRAIN, SLOTS),
    ],
    [
      "naive: cursor claims 100 per transaction, one transaction per completion",
      () => call("naiveDrain", DRAIN, SLOTS),
    ],
    "≥ 1.5×",
  );
} finally {
  await browser.close();
}
