// Edge benchmark: Errand's ingest → consumer path on local `wrangler dev` (API Worker, router,
// example consumer committing to D1 and reporting back) against the most trivial pipeline on
// the same runtime (POST → sendBatch → consumer counting in a Durable Object), measured in the
// same run:
// - throughput: messages/s from the first send to the last arrival, batches of 100, several
//   concurrent senders (closed loop per sender);
// - latency: p50/p99 from client send to consumer arrival (Errand: to the consumer's reported
//   completion) at the paced rate and at a slow pace both pipelines keep. If a pipeline
//   cannot keep up with a pace its latency is backlog age, and the table says so.
// - local D1 alone: a trivial Worker's three small D1 statements per request, 20 requests/s,
//   timed inside the Worker (what every D1 step of Errand's pipeline pays on this runtime).
// - the floor (workers/src/bench-floor): the guarantees issue #5 asks of this path and nothing
//   else, four D1 round trips and two queue hops per batch; and the floor plus the two cheapest
//   other things the issue names (a rate-limit Durable Object call per request, a read of the
//   topic's subscriptions per routed batch). No pipeline that keeps the guarantees beats it.
// Errand's count is per tenant, so each measurement starts on a fresh tenant, warmed up first
// with tasks that carry no send time: a cold tenant's first requests create its rate limiter's
// Durable Object and fill caches while the paced run's first batches queue behind them.
// Every pipeline runs with wrangler dev's local observability off (X_LOCAL_OBSERVABILITY=false):
// on by default, it streams every invocation (each D1 query and Durable Object call included)
// to a collector Worker in the same workerd, which production does not run. It cost Errand's
// pipeline about a fifth of its throughput here, and tripled its p50 latency.
// The slow pace runs before the fast one, so that the fast one's backlog cannot leak
// into it. Only one `wrangler dev` runs at a time: each one's idle file watcher (esbuild
// polling) costs about a third of a core here, which would otherwise load the other pipeline's
// measurement.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import {
  freePort,
  offlineWranglerEnv,
  startEdge,
  startServer,
  withoutObservability,
} from "../scripts/servers.mjs";
import { startPauseMeter } from "./pause-meter.ts";

// This VM's host pauses it whole for 0.1–1.4 s at a time; every row says how much of its
// measurement the machine stood still (bench/pause-meter.ts).
const meter = startPauseMeter();

const SENDERS = 8;
const THROUGHPUT_MS = 8_000;
/** The pace, and a slow one that both pipelines keep on this machine. */
const PACES = [
  { perSecond: 100, batch: 5 },
  { perSecond: 2_000, batch: 20 },
];
const PACE_MS = 3_000;
const DRAIN_TIMEOUT_MS = 90_000;
/** Errand's warm-up after each fresh tenant (see `errandPipeline`). */
const WARM_UP_BATCHES = 20;
const WARM_UP_BATCH = 5;

interface Pipeline {
  name: string;
  send: (n: number, sentAt: number) => Promise<void>;
  /** How many arrived: cheap, polled while draining. */
  count: () => Promise<number>;
  /** Every arrival's latency: read once per measurement. */
  stats: () => Promise<{ count: number; latencies: number[] }>;
  reset: () => Promise<void>;
}

interface Latency {
  p50: number;
  p99: number;
  keptPace: boolean;
  paused: string;
}

const bin = path.join(process.cwd(), "node_modules/.bin/wrangler");

async function main(): Promise<void> {
  // Other work on the machine skews every figure: say how busy it was, at the start and the end.
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  let d1: Awaited<ReturnType<typeof probeD1>> | undefined;
  const rows = [
    await measure("trivial", async (dir) => {
      const url = await startBaseline("trivial", dir);
      d1 = await probeD1(url.href);
      return { server: url.server, pipeline: baselinePipeline("trivial (sendBatch → DO counter)", url.href) };
    }),
    await measure("floor", async (dir) => {
      const url = await startBaseline("floor", dir);
      return {
        server: url.server,
        pipeline: baselinePipeline("floor (issue's guarantees alone: 4 D1 trips, 2 hops)", url.href),
      };
    }),
    await measure("floor-musts", async (dir) => {
      const url = await startBaseline("floor", dir);
      return {
        server: url.server,
        pipeline: baselinePipeline("floor + rate-limit DO call + subscriptions read", url.href, "&musts=1"),
      };
    }),
    await measure("edge", async (dir) => {
      const port = await freePort();
      const server = await startEdge({ port, env: "dev", persistTo: dir, observability: false });
      return { server, pipeline: await errandPipeline(`http://127.0.0.1:${port}`) };
    }),
  ];
  const [base, floor, musts, ours] = rows as [
    (typeof rows)[number],
    (typeof rows)[number],
    (typeof rows)[number],
    (typeof rows)[number],
  ];
  console.log(`\nIngest → consumer on local wrangler dev (${SENDERS} senders, batches of 100)`);
  console.table(
    rows.map((r) => ({
      pipeline: r.name,
      "messages/s": Math.round(r.perSecond),
      "× trivial": (r.perSecond / base.perSecond).toFixed(2),
      machine: r.paused,
    })),
  );
  console.log("Latency, client send → consumer, at paced rates");
  console.table(
    rows.flatMap((r) =>
      r.latencies.map((l, i) => ({
        pipeline: r.name,
        "paced msg/s": PACES[i]?.perSecond,
        "p50 ms": l.p50,
        "p99 ms": l.p99,
        "p99 × trivial": (l.p99 / Math.max(1, base.latencies[i]?.p99 ?? 1)).toFixed(2),
        "kept pace": l.keptPace ? "yes" : "no (latency is backlog age)",
        machine: l.paused,
      })),
    ),
  );
  if (d1) {
    console.log(
      `Local D1 alone (trivial Worker, 3 statements per request, ${D1_PROBE_PER_SECOND}/s): p50 ${d1.p50} ms, p99 ${d1.p99} ms; ${d1.over100} of ${d1.n} took 100 ms or more; machine ${d1.paused}`,
    );
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const [slow, fast] = ours.latencies;
  const [floorSlow, floorFast] = floor.latencies;
  console.log(
    `the floor: ${(floor.perSecond / base.perSecond).toFixed(2)}× trivial, p99 ${floorFast?.p99} ms at ${PACES[1]?.perSecond}/s${floorFast?.keptPace ? "" : " (backlog age)"} (${floorSlow?.p99} ms at ${PACES[0]?.perSecond}/s); with a rate-limit call and a subscriptions read ${(musts.perSecond / base.perSecond).toFixed(2)}× trivial; Errand ${(ours.perSecond / floor.perSecond).toFixed(2)}× the floor`,
  );
  console.log(
    `targets: throughput ≥ 0.3× trivial (got ${(ours.perSecond / base.perSecond).toFixed(2)}×), p99 ≤ 60 ms at ${PACES[1]?.perSecond}/s (got ${fast?.p99} ms${fast?.keptPace ? "" : ", backlog age"}; ${slow?.p99} ms at ${PACES[0]?.perSecond}/s)`,
  );
}

const D1_PROBE_PER_SECOND = 20;
const D1_PROBE_COUNT = 200;

/** Times local D1 alone: the trivial Worker's `/d1-probe` at a steady pace (see its module doc). */
async function probeD1(
  url: string,
): Promise<{ p50: number; p99: number; over100: number; n: number; paused: string }> {
  const from = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < D1_PROBE_COUNT; i++) {
    pending.push(
      fetch(`${url}/d1-probe`, { method: "POST" }).then(async (response) => {
        if (!response.ok) throw new Error(`d1 probe: ${response.status}`);
        return ((await response.json()) as { ms: number }).ms;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 / D1_PROBE_PER_SECOND));
  }
  const sorted = (await Promise.all(pending)).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    over100: sorted.filter((ms) => ms >= 100).length,
    n: sorted.length,
    paused: await meter.describe(from, performance.now()),
  };
}

/** Starts one pipeline's server in a fresh state folder, measures it, and stops it. */
async function measure(
  label: string,
  start: (dir: string) => Promise<{ server: { stop: () => Promise<void> }; pipeline: Pipeline }>,
): Promise<{ name: string; perSecond: number; paused: string; latencies: Latency[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), `errand-bench-${label}-`));
  let server: { stop: () => Promise<void> } | undefined;
  try {
    const started = await start(dir);
    server = started.server;
    const { pipeline } = started;
    await pipeline.reset();
    const { perSecond, paused } = await measureThroughput(pipeline);
    const latencies: Latency[] = [];
    for (const pace of PACES) {
      await pipeline.reset();
      latencies.push(await measureLatency(pipeline, pace));
    }
    const row = { name: pipeline.name, perSecond, paused, latencies };
    console.log(`measured ${pipeline.name}:`, JSON.stringify(row));
    return row;
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Starts one of the baseline Workers under `wrangler dev` on a free port: the trivial pipeline
 * (workers/wrangler.bench-trivial.toml) or the floor (workers/wrangler.bench-floor.toml).
 */
async function startBaseline(
  which: "trivial" | "floor",
  dir: string,
): Promise<{ server: { stop: () => Promise<void> }; href: string }> {
  const port = await freePort();
  const server = await startServer({
    name: `wrangler dev (${which})`,
    command: bin,
    args: [
      "dev",
      "-c",
      `workers/wrangler.bench-${which}.toml`,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
      "--persist-to",
      dir,
    ],
    url: `http://127.0.0.1:${port}/health`,
    env: { ...offlineWranglerEnv, ...withoutObservability },
  });
  return { server, href: `http://127.0.0.1:${port}` };
}

/**
 * A baseline Worker's routes: `POST /send?n=…` (plus `query`), `GET /count`, `GET /stats`,
 * `POST /reset`.
 */
function baselinePipeline(name: string, url: string, query = ""): Pipeline {
  return {
    name,
    send: async (n, sentAt) => {
      const response = await fetch(`${url}/send?n=${n}${query}`, {
        method: "POST",
        body: JSON.stringify({ sentAt }),
      });
      if (!response.ok) throw new Error(`${name} send: ${response.status}`);
    },
    count: async () => ((await (await fetch(`${url}/count`)).json()) as { count: number }).count,
    stats: async () =>
      (await fetch(`${url}/stats`)).json() as Promise<{ count: number; latencies: number[] }>,
    reset: async () => {
      await fetch(`${url}/reset`, { method: "POST" });
    },
  };
}

async function errandPipeline(url: string): Promise<Pipeline> {
  let key = "";
  let counter = 0;
  const setup = async () => {
    const tenant = (await (
      await fetch(`${url}/v1/dev/tenants`, {
        method: "POST",
        body: JSON.stringify({ rates: { tenant: 10_000_000, subject: 10_000_000, ip: 10_000_000 } }),
      })
    ).json()) as { key: string };
    key = tenant.key;
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    await fetch(`${url}/v1/topics/test.effect`, { method: "PUT", headers, body: "{}" });
    await fetch(`${url}/v1/topics/test.effect/subscriptions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ kind: "queue", target: "errand-delivery" }),
    });
  };
  // A fresh tenant is a fresh count, but a cold one: its first requests create its rate
  // limiter's Durable Object and fill the API key and topic caches. Tasks without a sentAt
  // warm it up; they count as arrivals (subtracted) but carry no latency.
  let warmed = 0;
  const warmUp = async () => {
    warmed = 0;
    for (let i = 0; i < WARM_UP_BATCHES; i++) {
      await send(WARM_UP_BATCH, {});
      warmed += WARM_UP_BATCH;
    }
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while ((await rawCount()) < warmed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const send = async (n: number, payload: { sentAt?: number }) => {
    const tasks = Array.from({ length: n }, () => ({
      id: `b${counter++}-${Date.now()}`,
      topic: "test.effect",
      payload,
    }));
    const response = await fetch(`${url}/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ tasks }),
    });
    if (!response.ok) throw new Error(`errand send: ${response.status} ${await response.text()}`);
  };
  const rawCount = async () =>
    (
      (await (
        await fetch(`${url}/v1/dev/latency?count`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { count: number }
    ).count;
  await setup();
  await warmUp();
  return {
    name: "Errand (ingest → router → consumer → report)",
    send: (n, sentAt) => send(n, { sentAt }),
    count: async () => (await rawCount()) - warmed,
    stats: async () =>
      (
        await fetch(`${url}/v1/dev/latency`, { headers: { authorization: `Bearer ${key}` } })
      ).json() as Promise<{
        count: number;
        latencies: number[];
      }>,
    reset: async () => {
      await setup();
      await warmUp();
    },
  };
}

async function measureThroughput(pipeline: Pipeline): Promise<{ perSecond: number; paused: string }> {
  const from = performance.now();
  const started = Date.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (Date.now() - started < THROUGHPUT_MS) {
        await pipeline.send(100, Date.now());
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
    sends.push(pipeline.send(pace.batch, Date.now()));
    sent += pace.batch;
  }
  await Promise.all(sends);
  const sendEnd = Date.now();
  const done = await drain(pipeline, sent);
  const paused = await meter.describe(from, performance.now());
  const { latencies } = await pipeline.stats();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    keptPace: done.count >= sent && done.at - sendEnd < 1000,
    paused,
  };
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

try {
  await main();
} finally {
  await meter.stop();
}
