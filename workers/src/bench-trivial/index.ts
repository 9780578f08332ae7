/**
 * @module
 * The benchmark's baseline: the most trivial pipeline on the same runtime. `POST /send?n=…`
 * puts n messages carrying the client's send time on a queue with one `sendBatch`; the
 * consumer records their latencies in a Durable Object's SQLite storage; `GET /stats` reads
 * the count and latencies, `GET /count` the count alone (what the benchmark polls),
 * `POST /reset` clears them. No auth, no storage of tasks: a floor to compare Errand's
 * ingest → consumer path against. `POST /d1-probe` writes 5 rows to D1 and counts them (three
 * statements, the shape of one small Errand step) and answers how many milliseconds that took:
 * what local D1 alone costs, beside what Errand's many D1 steps cost.
 */
import { DurableObject } from "cloudflare:workers";

/** The baseline's bindings. */
export interface TrivialEnv {
  QUEUE: Queue<{ sentAt: number }>;
  COUNTER: DurableObjectNamespace<Counter>;
  DB: D1Database;
}

/** Counts arrivals and keeps their latencies in its SQLite storage (survives eviction). */
export class Counter extends DurableObject<TrivialEnv> {
  constructor(ctx: DurableObjectState, env: TrivialEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS latencies (ms INTEGER NOT NULL)");
  }

  record(latencies: number[]): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO latencies (ms) SELECT value FROM json_each(?)",
      JSON.stringify(latencies),
    );
  }

  stats(): { count: number; latencies: number[] } {
    const latencies = this.ctx.storage.sql
      .exec<{ ms: number }>("SELECT ms FROM latencies")
      .toArray()
      .map((r) => r.ms);
    return { count: latencies.length, latencies };
  }

  count(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM latencies").one().n;
  }

  reset(): void {
    this.ctx.storage.sql.exec("DELETE FROM latencies");
  }
}

function counter(env: TrivialEnv): DurableObjectStub<Counter> {
  return env.COUNTER.get(env.COUNTER.idFromName("counter"));
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    if (url.pathname === "/send" && request.method === "POST") {
      const n = Math.min(100, Number(url.searchParams.get("n") ?? 100));
      const { sentAt } = await request.json<{ sentAt: number }>();
      await env.QUEUE.sendBatch(Array.from({ length: n }, () => ({ body: { sentAt } })));
      return Response.json({ sent: n });
    }
    if (url.pathname === "/d1-probe" && request.method === "POST") {
      const started = Date.now();
      await env.DB.prepare("CREATE TABLE IF NOT EXISTS probe (k INTEGER PRIMARY KEY, v TEXT NOT NULL)").run();
      await env.DB.prepare("INSERT INTO probe (v) SELECT value FROM json_each(?)")
        .bind(JSON.stringify(Array.from({ length: 5 }, (_, i) => `row ${i} `.repeat(20))))
        .run();
      await env.DB.prepare("SELECT COUNT(*) AS n FROM probe").first();
      return Response.json({ ms: Date.now() - started });
    }
    if (url.pathname === "/count") return Response.json({ count: await counter(env).count() });
    if (url.pathname === "/stats") return Response.json(await counter(env).stats());
    if (url.pathname === "/reset" && request.method === "POST") {
      await counter(env).reset();
      return Response.json({ ok: true });
    }
    return new Response("not found", { status: 404 });
  },
  async queue(batch, env) {
    const now = Date.now();
    await counter(env).record(batch.messages.map((m) => now - m.body.sentAt));
    batch.ackAll();
  },
} satisfies ExportedHandler<TrivialEnv, { sentAt: number }>;
