// Durable queue benchmark (issue 3): enqueueMany beside one raw idb bulk put; concurrent single
// enqueue() calls beside raw puts of one transaction each; the runtime's claim → complete drain
// beside a naive cursor claim. Chromium with a persistent profile on disk (in-memory contexts
// inflate IndexedDB figures), the page served by the e2e fixtures' Vite config on 127.0.0.1.
// Prints tables with ratios, raw and with this machine's pauses taken out (bench/pause-meter.ts);
// asserts nothing.
import { loadWarm, openBenchBrowser, pageCaller } from "./browser-harness.ts";
import { inRounds, printRounds, Rounds, startPauseMeter } from "./pause-meter.ts";

const BULK = Number(process.env.QUEUE_BENCH_BULK ?? 10_000);
const SINGLES = Number(process.env.QUEUE_BENCH_SINGLES ?? 1_000);
const DRAIN = Number(process.env.QUEUE_BENCH_DRAIN ?? 2_000);
const SLOTS = 100;
// Many rounds: this VM's host pauses it for 0.1–1.4 s at a time, and the best round is the one
// least hit.
const ROUNDS = Number(process.env.QUEUE_BENCH_ROUNDS ?? 5);

interface Measure {
  ops: number;
  ms: number;
  end: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const browser = await openBenchBrowser("queue");
const meter = startPauseMeter();

try {
  const page = await browser.context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  const call = pageCaller(page, "queueBench") as (name: string, ...args: unknown[]) => Promise<Measure>;
  await loadWarm(
    async () => {
      await page.goto(`${browser.url}queue-bench.html`, { timeout: 120_000 });
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

  /** The two in turn for ROUNDS rounds; ours ÷ the baseline, raw and with pauses out. */
  async function compare(
    title: string,
    ours: [string, () => Promise<Measure>],
    base: [string, () => Promise<Measure>],
    target: string,
  ) {
    const results = await inRounds(meter, ROUNDS, [base, ours]);
    const baseline = results.get(base[0]) ?? new Rounds();
    console.log(`\n${title}, ${ROUNDS} rounds (target ${target}):`);
    printRounds(results, "ops/s", "÷ baseline", (rate, r) => rate(r) / rate(baseline), 2);
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
  await meter.stop();
  await browser.close();
}
