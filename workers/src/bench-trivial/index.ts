/**
 * @module
 * The benchmark's baseline: the most trivial pipeline on the same runtime. `POST /send?n=…`
 * puts n messages carrying the client's send time on a queue with one `sendBatch`; the
 * consumer counts them and their latency in a Durable Object; `GET /stats` reads the count
 * and latencies, `POST /reset` clears them. No auth, no storage of tasks: a floor to compare
 * Errand's ingest → consumer path against.
 */
import { DurableObject } from "cloudflare:workers";

/** The baseline's bindings. */
export interface TrivialEnv {
  QUEUE: Queue<{ sentAt: number }>;
  COUNTER: DurableObjectNamespace<Counter>;
}

/** Counts arrivals and keeps their latencies (in memory: a benchmark run is short). */
export class Counter extends DurableObject<TrivialEnv> {
  private latencies: number[] = [];

  record(latencies: number[]): void {
    this.latencies.push(...latencies);
  }

  stats(): { count: number; latencies: number[] } {
    return { count: this.latencies.length, latencies: this.latencies };
  }

  reset(): void {
    this.latencies = [];
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
