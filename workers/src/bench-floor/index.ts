/**
 * @module
 * The benchmark's floor: the least work on this runtime that keeps the guarantees issue #5 asks
 * of Errand's ingest → consumer path, and nothing else, to measure beside the trivial pipeline
 * and Errand in the same run. Per batch of messages it makes four D1 round trips and two queue
 * hops, each as one statement over the whole batch (`json_each`):
 *
 * 1. `POST /send?n=…` stores the tasks in D1 before it answers ("stored in D1 before the
 *    response"), then `sendBatch`es their ids to the ingest queue ("messages carry ids,
 *    payloads stay in D1").
 * 2. The ingest queue's consumer (the router) fans each id out to the delivery queue. It reads
 *    nothing: its one subscription is known in memory, where Errand reads the stored rows.
 * 3. The delivery queue's consumer claims the batch, in one statement that counts an attempt for
 *    each task not finished nor cancelled and returns its payload ("Errand counts attempts
 *    itself", "consumers skip cancelled tasks");
 * 4. commits its effect and its idempotency mark together (one row whose key is the delivery:
 *    the cheapest form of "the mark in the same transaction as the consumer's own writes");
 * 5. reports the deliveries done ("each delivery's status and attempts are recorded").
 *
 * It leaves out all that Errand does besides: auth, rate limits, validation, dedup keys, reading
 * subscriptions, ordering keys, task status aggregation, live events, service-binding calls from
 * the consumer to the API, and a consumer Worker and database of its own. So it runs faster
 * than any pipeline that keeps the guarantees and does those too.
 *
 * `POST /send?n=…&musts=1` adds the two cheapest of those the issue also names: one call per
 * request to Errand's own `RateLimiter` Durable Object, charging tenant, subject and client IP
 * ("rate limits per tenant, per subject and per client IP"), and a router that reads the
 * topic's subscriptions ("looks up the topic's subscriptions") in one D1 round trip per batch.
 *
 * `GET /count` and `GET /stats` read the committed effects (each with its latency from the
 * client's send to the commit).
 */
import { DurableObject } from "cloudflare:workers";
import { type RateCharge, RateWindows } from "../api/auth/rate-limit.ts";

/** A limiter object with Errand's counters, so the floor pays for rate limits a DO call. */
export class RateLimiter extends DurableObject {
  readonly #windows = new RateWindows();

  charge(charges: RateCharge[]): number | undefined {
    return this.#windows.charge(charges);
  }
}

/** The floor's bindings. */
export interface FloorEnv {
  INGEST: Queue<Ingested>;
  DELIVERY: Queue<string>;
  DB: D1Database;
  LIMITS: DurableObjectNamespace<RateLimiter>;
}

/** An ingest message: the task's id, and whether the router looks up subscriptions. */
interface Ingested {
  id: string;
  musts?: true;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, payload TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, cancelled_at INTEGER,
     updated_at INTEGER)`,
  "CREATE TABLE IF NOT EXISTS applied (delivery TEXT PRIMARY KEY, ms INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, topic TEXT NOT NULL, queue TEXT NOT NULL,
     deleted_at INTEGER)`,
  "CREATE INDEX IF NOT EXISTS subscriptions_topic ON subscriptions(topic) WHERE deleted_at IS NULL",
  "INSERT OR IGNORE INTO subscriptions (id, topic, queue) VALUES ('s1', 'bench', 'DELIVERY')",
];

let ready: Promise<unknown> | undefined;

/** Creates the tables once per isolate. */
function tables(db: D1Database): Promise<unknown> {
  ready ??= db.batch(SCHEMA.map((sql) => db.prepare(sql))).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    await tables(env.DB);
    if (url.pathname === "/send" && request.method === "POST") {
      const n = Math.min(100, Number(url.searchParams.get("n") ?? 100));
      const { sentAt } = await request.json<{ sentAt: number }>();
      const musts = url.searchParams.get("musts") === "1";
      if (musts) {
        const ip = request.headers.get("cf-connecting-ip") ?? "127.0.0.1";
        const limit = 10_000_000;
        const wait = await env.LIMITS.get(env.LIMITS.idFromName("bench")).charge([
          { key: "t:bench", limit },
          { key: "s:bench:bench", limit },
          { key: `i:bench:${ip}`, limit },
        ]);
        if (wait !== undefined) return Response.json({ error: "rate_limited" }, { status: 429 });
      }
      const ids = Array.from({ length: n }, () => crypto.randomUUID());
      await env.DB.prepare("INSERT INTO tasks (id, payload) SELECT value, ?1 FROM json_each(?2)")
        .bind(JSON.stringify({ sentAt }), JSON.stringify(ids))
        .run();
      await env.INGEST.sendBatch(ids.map((id) => ({ body: musts ? { id, musts } : { id } })));
      return Response.json({ sent: n });
    }
    if (url.pathname === "/count") {
      const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM applied").first<{ n: number }>();
      return Response.json({ count: row?.n ?? 0 });
    }
    if (url.pathname === "/stats") {
      const { results } = await env.DB.prepare("SELECT ms FROM applied").all<{ ms: number }>();
      return Response.json({ count: results.length, latencies: results.map((r) => r.ms) });
    }
    if (url.pathname === "/reset" && request.method === "POST") {
      await env.DB.batch([env.DB.prepare("DELETE FROM applied"), env.DB.prepare("DELETE FROM tasks")]);
      return Response.json({ ok: true });
    }
    return new Response("not found", { status: 404 });
  },
  async queue(batch, env) {
    if (batch.queue.endsWith("-ingest")) {
      const bodies = (batch as MessageBatch<Ingested>).messages.map((m) => m.body);
      if (bodies.some((b) => b.musts)) {
        await tables(env.DB);
        const subscriptions = await env.DB.prepare(
          "SELECT id, queue FROM subscriptions WHERE topic = 'bench' AND deleted_at IS NULL",
        ).all<{ id: string; queue: string }>();
        if (subscriptions.results.length === 0) throw new Error("no subscription");
      }
      await env.DELIVERY.sendBatch(bodies.map((b) => ({ body: b.id })));
      batch.ackAll();
      return;
    }
    const ids = (batch as MessageBatch<string>).messages.map((m) => m.body);
    await tables(env.DB);
    const { results: claimed } = await env.DB.prepare(
      `UPDATE tasks SET attempts = attempts + 1
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'pending' AND cancelled_at IS NULL
       RETURNING id, payload`,
    )
      .bind(JSON.stringify(ids))
      .run<{ id: string; payload: string }>();
    const now = Date.now();
    const effects = claimed.map((t) => ({
      d: t.id,
      ms: now - (JSON.parse(t.payload) as { sentAt: number }).sentAt,
    }));
    await env.DB.prepare(
      // A batch redelivered after its commit (its report failed) applies nothing twice.
      `INSERT INTO applied (delivery, ms) SELECT value ->> '$.d', value ->> '$.ms' FROM json_each(?1) WHERE 1
       ON CONFLICT (delivery) DO NOTHING`,
    )
      .bind(JSON.stringify(effects))
      .run();
    await env.DB.prepare(
      `UPDATE tasks SET status = 'delivered', updated_at = ?1
       WHERE id IN (SELECT value FROM json_each(?2)) AND status = 'pending'`,
    )
      .bind(Date.now(), JSON.stringify(effects.map((e) => e.d)))
      .run();
    batch.ackAll();
  },
} satisfies ExportedHandler<FloorEnv, Ingested | string>;
