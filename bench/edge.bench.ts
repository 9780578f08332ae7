// Edge benchmark: Errand's ingest → consumer path on local `wrangler dev` (API Worker, router,
// example consumer committing to D1 and reporting back) against the most trivial pipeline on
// the same runtime (POST → sendBatch → consumer counting in a Durable Object), measured in the
// same run:
// - throughput: messages/s from the first send to the last arrival, batches of 100, several
//   concurrent senders (closed loop per sender);
// - latency: p50/p99 from client send to consumer arrival (Errand: to the consumer's reported
//   completion) at a paced rate. If a pipeline cannot keep up with the pace its latency is
//   backlog age, and the table says so.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { freePort, startEdge, startServer } from "../scripts/servers.mjs";

const SENDERS = 8;
const THROUGHPUT_MS = 8_000;
const PACE_PER_SECOND = 2_000;
const PACE_MS = 3_000;
const PACE_BATCH = 20;
const DRAIN_TIMEOUT_MS = 90_000;

interface Pipeline {
  name: string;
  send: (n: number, sentAt: number) => Promise<void>;
  /** How many arrived: cheap, polled while draining. */
  count: () => Promise<number>;
  /** Every arrival's latency: read once per measurement. */
  stats: () => Promise<{ count: number; latencies: number[] }>;
  reset: () => Promise<void>;
}

const bin = path.join(process.cwd(), "node_modules/.bin/wrangler");

async function main(): Promise<void> {
  // Other work on the machine skews every figure: say how busy it was, at the start and the end.
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const dirs = [
    await mkdtemp(path.join(tmpdir(), "errand-bench-edge-")),
    await mkdtemp(path.join(tmpdir(), "errand-bench-trivial-")),
  ];
  const servers: { stop: () => Promise<void> }[] = [];
  try {
    const edgePort = await freePort();
    servers.push(await startEdge({ port: edgePort, env: "dev", persistTo: dirs[0] }));
    const trivialPort = await freePort();
    servers.push(
      await startServer({
        name: "wrangler dev (trivial)",
        command: bin,
        args: [
          "dev",
          "-c",
          "workers/wrangler.bench-trivial.toml",
          "--ip",
          "127.0.0.1",
          "--port",
          String(trivialPort),
        ].concat([
          "--inspector-port",
          "0",
          "--show-interactive-dev-session=false",
          "--persist-to",
          dirs[1] as string,
        ]),
        url: `http://127.0.0.1:${trivialPort}/health`,
        env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      }),
    );
    const trivial = trivialPipeline(`http://127.0.0.1:${trivialPort}`);
    const errand = await errandPipeline(`http://127.0.0.1:${edgePort}`);
    const rows = [];
    for (const pipeline of [trivial, errand]) {
      await pipeline.reset();
      const throughput = await measureThroughput(pipeline);
      await pipeline.reset();
      const latency = await measureLatency(pipeline);
      rows.push({ name: pipeline.name, ...throughput, ...latency });
      console.log(`measured ${pipeline.name}:`, { ...throughput, ...latency });
    }
    const [base, ours] = rows as [(typeof rows)[number], (typeof rows)[number]];
    console.log(
      `\nIngest → consumer on local wrangler dev (${SENDERS} senders, batches of 100; latency paced at ${PACE_PER_SECOND}/s)`,
    );
    console.table(
      rows.map((r) => ({
        pipeline: r.name,
        "messages/s": Math.round(r.perSecond),
        "× trivial": (r.perSecond / base.perSecond).toFixed(2),
        "p50 ms": r.p50,
        "p99 ms": r.p99,
        "p99 × trivial": (r.p99 / Math.max(1, base.p99)).toFixed(2),
        "kept pace": r.keptPace ? "yes" : "no (latency is backlog age)",
      })),
    );
    console.log(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    console.log(
      `targets: throughput ≥ 0.3× trivial (got ${(ours.perSecond / base.perSecond).toFixed(2)}×), p99 ≤ 60 ms (got ${ours.p99} ms)`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

function trivialPipeline(url: string): Pipeline {
  return {
    name: "trivial (sendBatch → DO counter)",
    send: async (n, sentAt) => {
      const response = await fetch(`${url}/send?n=${n}`, {
        method: "POST",
        body: JSON.stringify({ sentAt }),
      });
      if (!response.ok) throw new Error(`trivial send: ${response.status}`);
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
  await setup();
  return {
    name: "Errand (ingest → router → consumer → report)",
    send: async (n, sentAt) => {
      const tasks = Array.from({ length: n }, () => ({
        id: `b${counter++}-${sentAt}`,
        topic: "test.effect",
        payload: { sentAt },
      }));
      const response = await fetch(`${url}/v1/tasks`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ tasks }),
      });
      if (!response.ok) throw new Error(`errand send: ${response.status} ${await response.text()}`);
    },
    count: async () =>
      (
        (await (
          await fetch(`${url}/v1/dev/latency?count`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as { count: number }
      ).count,
    stats: async () =>
      (
        await fetch(`${url}/v1/dev/latency`, { headers: { authorization: `Bearer ${key}` } })
      ).json() as Promise<{
        count: number;
        latencies: number[];
      }>,
    // A fresh tenant is a fresh count.
    reset: setup,
  };
}

async function measureThroughput(pipeline: Pipeline): Promise<{ perSecond: number }> {
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
  return { perSecond: (done.count * 1000) / (done.at - started) };
}

async function measureLatency(pipeline: Pipeline): Promise<{ p50: number; p99: number; keptPace: boolean }> {
  const interval = (1000 * PACE_BATCH) / PACE_PER_SECOND;
  const started = Date.now();
  const sends: Promise<void>[] = [];
  let sent = 0;
  for (let i = 0; Date.now() - started < PACE_MS; i++) {
    const due = started + i * interval;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(pipeline.send(PACE_BATCH, Date.now()));
    sent += PACE_BATCH;
  }
  await Promise.all(sends);
  const sendEnd = Date.now();
  const done = await drain(pipeline, sent);
  const { latencies } = await pipeline.stats();
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), keptPace: done.count >= sent && done.at - sendEnd < 1000 };
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

await main();
