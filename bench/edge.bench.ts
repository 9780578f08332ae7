// Edge benchmark (edge state v2): Errand's ingest → consumer path on local `wrangler dev` (the API
// Worker, a subject's Durable Object, the delivery queue, the example consumer committing to its
// D1 and reporting back to the object) against, in the same run:
// - the trivial pipeline (workers/src/bench-trivial): POST → sendBatch → consumer counting in a
//   Durable Object;
// - the floor of this design (workers/src/bench-floor): one RPC per batch to an object that
//   stores tasks and deliveries in one transaction and sends them, a consumer claiming and
//   completing through the object, nothing else; and the floor with Errand's own consumer side
//   (the example consumer Worker, @errand/edge, over a service binding, committing to its D1).
//   The steps trivial → floor → floor with Errand's consumer → Errand say what costs what.
// Measured for each: throughput (messages/s from the first send to the last arrival, batches of
// 100, 8 closed-loop senders), and latency (p50/p99 from the client's send to the consumer's
// completion) at a slow pace both keep and at the issue's 2,000 msg/s; a pipeline that cannot
// keep a pace reports backlog age, and the table says so. Then Errand alone: the same total load
// spread over 1, 10 and 1,000 subjects (client tokens, each subject's tasks in its own object),
// and the billable operations per 1,000 tasks, priced (bench/edge-cost.ts).
// Every pipeline runs with wrangler dev's local observability off (it streams every invocation to
// a collector Worker in the same workerd, which production does not run), one `wrangler dev` at a
// time (an idle one's file watcher costs a third of a core here). EDGE_BENCH_SHORT=1 runs every
// measurement at a quarter of its length, for trying changes; its figures are not the ones to quote.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { type CostRun, measureCost, priceRun, referenceCosts } from "./edge-cost.ts";
import {
  baselinePipeline,
  errandPipeline,
  type Pipeline,
  type Running,
  type StoreUsage,
  startBaseline,
  startErrand,
} from "./edge-pipelines.ts";
import { PRICE_SOURCES } from "./edge-prices.ts";
import { startPauseMeter } from "./pause-meter.ts";

// This VM's host pauses it whole for 0.1–1.4 s at a time; every row says how much of its
// measurement the machine stood still (bench/pause-meter.ts).
const meter = startPauseMeter();

const SHORT = process.env.EDGE_BENCH_SHORT === "1";
const SENDERS = 8;
const THROUGHPUT_MS = SHORT ? 2_000 : 8_000;
/** A slow pace both pipelines keep on this machine, and the issue's. */
const PACES = [
  { perSecond: 100, batch: 5 },
  { perSecond: 2_000, batch: 20 },
];
const PACE_MS = SHORT ? 1_000 : 3_000;
const DRAIN_TIMEOUT_MS = 120_000;
/** Scale-out: the same batches (of 100) spread over this many subjects. */
const SUBJECTS = [1, 10, 1_000];
const SCALE_BATCHES = SHORT ? 200 : 1_000;
/** Cost: tasks per run. */
const COST_TASKS = SHORT ? 2_000 : 10_000;

interface Latency {
  p50: number;
  p99: number;
  keptPace: boolean;
  paused: string;
}

interface Row {
  name: string;
  perSecond: number;
  paused: string;
  latencies: Latency[];
  usage?: StoreUsage | undefined;
}

const loads: number[] = [];
const loadSampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 5_000);

async function main(): Promise<void> {
  console.log(`load average at start: ${formatLoad()}${SHORT ? " (EDGE_BENCH_SHORT=1)" : ""}`);
  const base = await measure("trivial", async (dir) => {
    const { server, href } = await startBaseline("trivial", dir);
    return { server, pipeline: baselinePipeline("trivial (sendBatch → DO counter)", href) };
  });
  const floor = await measure("floor", async (dir) => {
    const { server, href } = await startBaseline("floor", dir);
    return {
      server,
      pipeline: baselinePipeline("floor (1 object txn + send; claim, complete)", href, "", true),
    };
  });
  const library = await measure("floor-library", async (dir) => {
    const { server, href } = await startBaseline("floor-library", dir);
    return {
      server,
      pipeline: baselinePipeline("floor + Errand's consumer (own Worker, D1 commit)", href, "&library=1"),
    };
  });
  let scale: { subjects: number; tasks: number; perSecond: number; paused: string }[] = [];
  const ours = await measure(
    "errand",
    async (dir) => {
      const { server, href } = await startErrand(dir);
      return { server, pipeline: errandPipeline(href), href };
    },
    async (href) => {
      scale = [];
      for (const subjects of SUBJECTS)
        scale.push(await measureSpread(errandPipeline(href, subjects), subjects));
    },
  );
  const cost: CostRun[] = [];
  for (const removal of [true, false]) {
    cost.push(
      await withServer("cost", async (dir, own) => {
        const started = await startErrand(dir, {
          vars: removal ? { METERED: "1", RETENTION_DAYS: "0" } : { METERED: "1" },
          configs: ["wrangler.toml", "workers/wrangler.bench-consumer.toml"],
        });
        own(started.server);
        return measureCost(
          started.href,
          removal
            ? { label: "API key, batches of 100", tasks: COST_TASKS, batch: 100, subjects: 0, removal }
            : {
                label: "10 client tokens, batches of 10",
                tasks: COST_TASKS / 5,
                batch: 10,
                subjects: 10,
                removal,
              },
        );
      }),
    );
  }

  const rows = [base, floor, library, ours];
  console.log(`\nIngest → consumer on local wrangler dev (${SENDERS} senders, batches of 100)`);
  console.table(
    rows.map((r) => ({
      pipeline: r.name,
      "messages/s": Math.round(r.perSecond),
      "× trivial": ratio(r.perSecond, base.perSecond),
      "× floor": ratio(r.perSecond, floor.perSecond),
      machine: r.paused,
    })),
  );
  console.log("Latency, client send → consumer's completion, at paced rates");
  console.table(
    rows.flatMap((r) =>
      r.latencies.map((l, i) => ({
        pipeline: r.name,
        "paced msg/s": PACES[i]?.perSecond,
        "p50 ms": l.p50,
        "p99 ms": l.p99,
        "p99 × trivial": ratio(l.p99, Math.max(1, base.latencies[i]?.p99 ?? 1)),
        "kept pace": l.keptPace ? "yes" : "no (latency is backlog age)",
        machine: l.paused,
      })),
    ),
  );
  console.log("Scale-out: the same batches of 100 spread over subjects (client tokens), Errand");
  const one = scale[0]?.perSecond ?? Number.NaN;
  console.table(
    scale.map((s) => ({
      subjects: s.subjects,
      tasks: s.tasks,
      "messages/s": Math.round(s.perSecond),
      "× 1 subject": ratio(s.perSecond, one),
      "× trivial": ratio(s.perSecond, base.perSecond),
      machine: s.paused,
    })),
  );
  printCost(cost);
  console.log(`load average at end: ${formatLoad()}; 1-minute load sampled every 5 s: ${loadRange()}`);
  const [slow, fast] = ours.latencies;
  const [metered] = cost;
  const fu = floor.usage;
  console.log(
    `limits: the floor runs at ${ratio(floor.perSecond, base.perSecond)}× trivial; Errand's consumer side ` +
      `(its own Worker, a service-binding hop per call, a D1 commit per batch) takes it to ` +
      `${ratio(library.perSecond, base.perSecond)}× (${ratio(library.perSecond, floor.perSecond)}× the floor); ` +
      `Errand's API side to ${ratio(ours.perSecond, base.perSecond)}× ` +
      `(${ratio(ours.perSecond, library.perSecond)}× the floor with Errand's consumer). ` +
      (metered && fu
        ? `Errand's subject object runs ${perTask(metered.counts.sqlStatements, metered.tasks)} SQL statements ` +
          `and writes ${perTask(metered.counts.sqlRowsWritten - metered.counts.removalRowsWritten, metered.tasks)} ` +
          `rows per task before removal (the floor's: ${perTask(fu.statements, fu.tasks)} and ` +
          `${perTask(fu.rowsWritten, fu.tasks)}, which removes nothing)`
        : ""),
  );
  console.log(
    `targets: throughput ≥ 0.4× trivial (got ${ratio(ours.perSecond, base.perSecond)}×); ` +
      `p99 ≤ 60 ms at ${PACES[1]?.perSecond}/s (got ${fast?.p99} ms${fast?.keptPace ? "" : ", backlog age"}, ` +
      `${ratio(fast?.p99 ?? Number.NaN, base.latencies[1]?.p99 ?? Number.NaN)}× trivial's; ` +
      `${slow?.p99} ms at ${PACES[0]?.perSecond}/s); scale-out must not fall (` +
      `${scale.map((s) => `${s.subjects}: ${Math.round(s.perSecond)}/s`).join(", ")})`,
  );
}

/** Starts one pipeline's server in a fresh state folder, measures it (then `more`), and stops it. */
async function measure(
  label: string,
  start: (dir: string) => Promise<{ server: Running; pipeline: Pipeline; href?: string }>,
  more?: (href: string) => Promise<void>,
): Promise<Row> {
  return withServer(label, async (dir, own) => {
    const { server, pipeline, href } = await start(dir);
    own(server);
    await pipeline.reset();
    const { perSecond, paused } = await measureThroughput(pipeline);
    const usage = await pipeline.usage?.();
    const latencies: Latency[] = [];
    for (const pace of PACES) {
      await pipeline.reset();
      latencies.push(await measureLatency(pipeline, pace));
    }
    const row = { name: pipeline.name, perSecond, paused, latencies, usage };
    console.log(`measured ${pipeline.name}:`, JSON.stringify(row));
    if (more && href) await more(href);
    return row;
  });
}

/** Servers running now: stopped on the way out, even when the benchmark is interrupted. */
const running = new Set<Running>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void Promise.all([...running].map((server) => server.stop())).finally(() => process.exit(130));
  });
}

/** Runs `run` with a fresh state folder; stops the servers it owns and removes the folder after. */
async function withServer<T>(
  label: string,
  run: (dir: string, own: (server: Running) => void) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), `errand-bench-${label}-`));
  const servers: Running[] = [];
  try {
    return await run(dir, (server) => {
      servers.push(server);
      running.add(server);
    });
  } finally {
    for (const server of servers) {
      await server.stop();
      running.delete(server);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureThroughput(pipeline: Pipeline): Promise<{ perSecond: number; paused: string }> {
  const from = performance.now();
  const started = Date.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, lane) => {
      while (Date.now() - started < THROUGHPUT_MS) {
        await pipeline.send(100, Date.now(), lane);
        sent += 100;
      }
    }),
  );
  const done = await drain(pipeline, sent);
  return {
    perSecond: (done.count * 1000) / (done.at - started),
    paused: await meter.describe(from, performance.now()),
  };
}

/** Sends SCALE_BATCHES batches of 100, batch i as subject i mod `subjects`, with 8 senders. */
async function measureSpread(
  pipeline: Pipeline,
  subjects: number,
): Promise<{ subjects: number; tasks: number; perSecond: number; paused: string }> {
  await pipeline.reset();
  const from = performance.now();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      for (let b = next++; b < SCALE_BATCHES; b = next++) await pipeline.send(100, Date.now(), b);
    }),
  );
  const tasks = SCALE_BATCHES * 100;
  const done = await drain(pipeline, tasks);
  const row = {
    subjects,
    tasks,
    perSecond: (done.count * 1000) / (done.at - started),
    paused: await meter.describe(from, performance.now()),
  };
  console.log(`measured ${pipeline.name}:`, JSON.stringify(row));
  return row;
}

async function measureLatency(
  pipeline: Pipeline,
  pace: { perSecond: number; batch: number },
): Promise<Latency> {
  const interval = (1000 * pace.batch) / pace.perSecond;
  const from = performance.now();
  const started = Date.now();
  const sends: Promise<void>[] = [];
  let sent = 0;
  for (let i = 0; Date.now() - started < PACE_MS; i++) {
    const due = started + i * interval;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(pipeline.send(pace.batch, Date.now(), i));
    sent += pace.batch;
  }
  await Promise.all(sends);
  const done = await drain(pipeline, sent);
  const paused = await meter.describe(from, performance.now());
  const { latencies } = await pipeline.stats();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    // Kept: every message arrived within a second of the pace's end (sends that fell behind the
    // pace, as an overloaded ingest's do, count as not kept).
    keptPace: done.count >= sent && done.at - (started + PACE_MS) < 1000,
    paused,
  };
}

function printCost(runs: CostRun[]): void {
  const { queuesAlone, qstash } = referenceCosts();
  const removed = runs.find((r) => r.removal);
  const removalPerTask = removed ? removed.counts.removalRowsWritten / removed.tasks : 0;
  for (const run of runs) {
    const lines = priceRun(run, removalPerTask);
    const total = lines.reduce((sum, l) => sum + l.usd, 0);
    console.log(
      `\nCost per 1,000 tasks, one queue subscription: ${run.label} (${run.tasks} tasks, ${run.seconds.toFixed(1)} s, ` +
        `${run.counts.objectsTouched} subject object(s); ${run.removal ? "every task removed by retention (RETENTION_DAYS=0) within the run" : "retention as deployed, 7 days"})`,
    );
    console.table(
      lines.map((l) => ({
        item: l.item,
        "per 1,000 tasks": round(l.per1000),
        price: `$${l.price.usd} per ${l.price.per.toLocaleString("en")}`,
        "USD per 1,000 tasks": l.usd.toFixed(6),
      })),
    );
    console.log(
      `total $${total.toFixed(5)} per 1,000 tasks (Workers CPU time not counted: $0.02 per million CPU ms); ` +
        `Cloudflare Queues alone $${queuesAlone.toFixed(5)} (${ratio(total, queuesAlone)}× that); ` +
        `QStash $${qstash.toFixed(5)} (${ratio(total, qstash)}× that)`,
    );
    console.log(
      `subject objects' statements that wrote most, rows per task: ${run.topWrites
        .map((w) => `${w.perTask.toFixed(2)} ${w.statement}`)
        .join(" | ")}`,
    );
    const c = run.counts;
    console.log(
      `raw counts: ${JSON.stringify(c)}; the consumer's own effect rows (the handler's, not Errand's) ` +
        `${round((c.effectRowsWritten * 1000) / run.tasks)} per 1,000 tasks`,
    );
  }
  console.log(
    `prices read ${PRICE_SOURCES.read}: ${PRICE_SOURCES.WORKERS}, ${PRICE_SOURCES.DURABLE_OBJECTS}, ` +
      `${PRICE_SOURCES.D1}, ${PRICE_SOURCES.QUEUES}, ${PRICE_SOURCES.QSTASH}`,
  );
}

/** The `q` quantile of ascending `sorted` (NaN when empty). */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Waits until `expected` messages arrived; returns when, and how many. A pipeline that does not
 * drain within the timeout is reported with what arrived (its rate counts only those).
 */
async function drain(pipeline: Pipeline, expected: number): Promise<{ at: number; count: number }> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const count = await pipeline.count();
    if (count >= expected) return { at: Date.now(), count };
    if (Date.now() > deadline) {
      console.log(`${pipeline.name}: only ${count} of ${expected} arrived within ${DRAIN_TIMEOUT_MS} ms`);
      return { at: Date.now(), count };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function perTask(count: number, tasks: number): string {
  return (count / tasks).toFixed(2);
}

function ratio(x: number, y: number): string {
  return (x / y).toFixed(2);
}

function round(n: number): number {
  return n >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}

function formatLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

function loadRange(): string {
  if (loads.length === 0) return "none";
  return `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`;
}

try {
  await main();
} finally {
  clearInterval(loadSampler);
  await meter.stop();
}
