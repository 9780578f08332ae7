// The edge benchmark's pipelines and the servers they run on: the trivial pipeline and the floor
// (each its own `wrangler dev`, workers/wrangler.bench-*.toml), and Errand (the API's `dev`
// environment with the example consumer), each behind one interface the measurements drive.
import path from "node:path";
import {
  freePort,
  offlineWranglerEnv,
  startEdge,
  startServer,
  withoutObservability,
} from "../scripts/servers.mjs";

/** A pipeline as the measurements drive it. */
export interface Pipeline {
  name: string;
  /** Sends `n` messages stamped `sentAt`; `lane` picks the credential where there are several. */
  send: (n: number, sentAt: number, lane: number) => Promise<void>;
  /** How many arrived since the last reset: cheap, polled while draining. */
  count: () => Promise<number>;
  /** Every arrival's latency since the last reset: read once per measurement. */
  stats: () => Promise<{ count: number; latencies: number[] }>;
  /** Starts a fresh count (and, for Errand, a fresh tenant, warmed up). */
  reset: () => Promise<void>;
  /** The floor's object since the last reset: SQL statements, rows its cursors read and wrote. */
  usage?: () => Promise<StoreUsage>;
}

/** What the floor's object did (GET /usage of workers/src/bench-floor). */
export interface StoreUsage {
  tasks: number;
  statements: number;
  rowsRead: number;
  rowsWritten: number;
}

/** A server the benchmark started. */
export interface Running {
  stop: () => Promise<void>;
}

const bin = path.join(process.cwd(), "node_modules/.bin/wrangler");

/**
 * Starts a baseline under `wrangler dev` on a free port: the trivial pipeline
 * (workers/wrangler.bench-trivial.toml), the floor (workers/wrangler.bench-floor.toml), or the
 * floor with Errand's example consumer on its second queue (plus
 * workers/wrangler.bench-floor-consumer.toml).
 */
export async function startBaseline(
  which: "trivial" | "floor" | "floor-library",
  dir: string,
): Promise<{ server: Running; href: string }> {
  const port = await freePort();
  const configs =
    which === "trivial"
      ? ["workers/wrangler.bench-trivial.toml"]
      : which === "floor"
        ? ["workers/wrangler.bench-floor.toml"]
        : ["workers/wrangler.bench-floor.toml", "workers/wrangler.bench-floor-consumer.toml"];
  const server = await startServer({
    name: `wrangler dev (${which})`,
    command: bin,
    args: [
      "dev",
      ...configs.flatMap((c) => ["-c", c]),
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
 * Starts Errand's API (`dev` environment, with production's feed cadences: the dev environment
 * feeds stats faster for the demo's dashboard) and consumers on a free port, observability off.
 */
export async function startErrand(
  dir: string,
  options: { vars?: Record<string, string>; configs?: string[] } = {},
): Promise<{ server: Running; href: string }> {
  const port = await freePort();
  const vars = { FEED_SECONDS: "2", STATS_SECONDS: "10", ...options.vars };
  const server = await startEdge({
    port,
    env: "dev",
    persistTo: dir,
    observability: false,
    ...options,
    vars,
  });
  return { server, href: `http://127.0.0.1:${port}` };
}

/**
 * A baseline Worker's routes: `POST /send?n=…` (plus `query`), `GET /count|/stats`, `POST /reset`,
 * and the floor's `GET /usage` when `metered`.
 */
export function baselinePipeline(name: string, url: string, query = "", metered = false): Pipeline {
  return {
    ...(metered
      ? { usage: async () => (await expectOk(fetch(`${url}/usage`))).json() as Promise<StoreUsage> }
      : {}),
    name,
    send: async (n, sentAt) => {
      const response = await fetch(`${url}/send?n=${n}${query}`, {
        method: "POST",
        body: JSON.stringify({ sentAt }),
      });
      if (!response.ok) throw new Error(`${name} send: ${response.status} ${await response.text()}`);
    },
    count: async () => ((await (await fetch(`${url}/count`)).json()) as { count: number }).count,
    stats: async () =>
      (await fetch(`${url}/stats`)).json() as Promise<{ count: number; latencies: number[] }>,
    reset: async () => {
      await fetch(`${url}/reset`, { method: "POST" });
    },
  };
}

/** The topic every Errand measurement publishes to, consumed by the example consumer. */
export const TOPIC = "test.effect";

/** A fresh Errand tenant: its admin key, a topic with one queue subscription, and `subjects` tokens. */
export async function errandTenant(
  url: string,
  subjects: number,
): Promise<{ tenant: string; key: string; credentials: string[] }> {
  const created = await fetch(`${url}/v1/dev/tenants`, {
    method: "POST",
    body: JSON.stringify({ rates: { subject: 1_000_000_000 } }),
  });
  const { tenant, key } = (await created.json()) as { tenant: string; key: string };
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  await expectOk(fetch(`${url}/v1/topics/${TOPIC}`, { method: "PUT", headers, body: "{}" }));
  await expectOk(
    fetch(`${url}/v1/topics/${TOPIC}/subscriptions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ kind: "queue", target: "errand-delivery" }),
    }),
  );
  // Client tokens, one subject each (POST /v1/tokens with the admin key), minted 8 at a time.
  const credentials: string[] = subjects === 0 ? [key] : [];
  for (let i = 0; i < subjects; i += 8) {
    const minted = await Promise.all(
      Array.from({ length: Math.min(8, subjects - i) }, async (_, j) => {
        const response = await expectOk(
          fetch(`${url}/v1/tokens`, {
            method: "POST",
            headers,
            body: JSON.stringify({ subject: `user-${i + j}`, topics: [TOPIC], ttlSeconds: 3600 }),
          }),
        );
        return ((await response.json()) as { token: string }).token;
      }),
    );
    credentials.push(...minted);
  }
  return { tenant, key, credentials };
}

/** Posts `n` tasks with this payload to Errand as `credential`. */
export async function postTasks(
  url: string,
  credential: string,
  n: number,
  payload: { sentAt?: number },
  prefix: string,
): Promise<void> {
  const tasks = Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, topic: TOPIC, payload }));
  await expectOk(
    fetch(`${url}/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      body: JSON.stringify({ tasks }),
    }),
  );
}

/** Deliveries of the tenant reported completed (the dev route's in-memory count: free to poll). */
export async function completedOf(url: string, key: string): Promise<number> {
  const response = await expectOk(
    fetch(`${url}/v1/dev/completed`, { headers: { authorization: `Bearer ${key}` } }),
  );
  return ((await response.json()) as { completed: number }).completed;
}

/**
 * Errand as a pipeline: each reset makes a fresh tenant (a fresh count) with `subjects` client
 * tokens, or its API key (one subject) when `subjects` is 0, and warms every subject up with
 * one small batch of tasks that carry no send time, so each object exists and the isolate's
 * caches (key, token, topics) are filled before a measurement starts: a cold subject's first
 * request creates its object, and the rest would queue behind it.
 */
export function errandPipeline(url: string, subjects = 0): Pipeline {
  let key = "";
  let credentials: string[] = [];
  let warmed = 0;
  let batch = 0;
  const name =
    subjects === 0
      ? "Errand (ingest → subject object → queue → consumer → object)"
      : `Errand, ${subjects} subjects`;
  return {
    name,
    send: (n, sentAt, lane) =>
      postTasks(url, credentials[lane % credentials.length] ?? key, n, { sentAt }, `b${batch++}`),
    count: async () => (await completedOf(url, key)) - warmed,
    stats: async () =>
      (
        await expectOk(fetch(`${url}/v1/dev/latency`, { headers: { authorization: `Bearer ${key}` } }))
      ).json() as Promise<{ count: number; latencies: number[] }>,
    reset: async () => {
      ({ key, credentials } = await errandTenant(url, subjects));
      const rounds = Math.max(1, Math.ceil(20 / credentials.length));
      const per = 5;
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < credentials.length; i += 8) {
          await Promise.all(
            credentials
              .slice(i, i + 8)
              .map((credential, j) => postTasks(url, credential, per, {}, `w${r}-${i + j}`)),
          );
        }
      }
      const expected = rounds * credentials.length * per;
      const deadline = Date.now() + 90_000;
      while ((await completedOf(url, key)) < expected && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      warmed = await completedOf(url, key);
    },
  };
}

async function expectOk(pending: Promise<Response>): Promise<Response> {
  const response = await pending;
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}
