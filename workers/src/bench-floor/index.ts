/**
 * @module
 * The benchmark's floor for edge state v2: the parts of Errand's ingest → consumer path that its
 * guarantees need, and nothing else, measured beside the trivial pipeline and Errand in the same
 * run. Per batch of messages:
 *
 * 1. `POST /send?n=…` makes one RPC to the subject's object ({@link TaskStore}), which stores
 *    the tasks (unique by id) and one delivery each in one transaction, each delivery expecting
 *    news by a visibility deadline (the outbox: its alarm sends again what is overdue), arms its
 *    alarm if none is armed, and `sendBatch`es the deliveries (task key and object) to a queue.
 * 2. The queue's consumer makes one RPC to the object to claim the batch (an attempt counted for
 *    each pending delivery, payloads returned) and, after its work, one to complete it.
 *
 * `POST /send?n=…&library=1` sends to a second queue, consumed by Errand's own example consumer
 * Worker (workers/wrangler.bench-floor-consumer.toml): `@errand/edge`'s `defineConsumer`
 * reaching this Worker's {@link FloorConsumerApi} over a service binding and committing each
 * effect with its idempotency mark to its own D1, as Errand's pipeline does. The step from the
 * floor to that measures the consumer's side; the step from that to Errand measures the API's.
 *
 * Left out, which Errand does: authentication and rate limits (a Durable Object call per
 * request), validation, payload hashes and dedup keys, reading topics and subscriptions,
 * ordering keys, task status (queued, delivered) and results, live events and the hub, the
 * tenant-wide feed to D1, retention. No pipeline that keeps the guarantees beats it.
 *
 * `GET /count` answers how many deliveries completed, `GET /stats` each one's latency from the
 * client's send to its completion, `GET /usage` the object's SQL statements and the rows their
 * cursors read and wrote (what a SQLite-backed object is billed for), `POST /reset` clears them.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Claim, DeliveryRef, FailOutcome } from "@errand/edge";
import type { FloorQueue, TaskStore } from "./task-store.ts";

export { TaskStore } from "./task-store.ts";

/** The floor's bindings. */
export interface FloorEnv {
  STORE: DurableObjectNamespace<TaskStore>;
  DELIVERY: Queue<DeliveryRef>;
  LIBRARY: Queue<DeliveryRef>;
}

function store(env: FloorEnv): DurableObjectStub<TaskStore> {
  return env.STORE.get(env.STORE.idFromName("bench"));
}

/** The consumer RPC for `@errand/edge`'s `defineConsumer` (the `library=1` path). */
export class FloorConsumerApi extends WorkerEntrypoint<FloorEnv> {
  async claim(refs: DeliveryRef[]): Promise<Claim[]> {
    const claimed = new Map((await store(this.env).claim(refs.map((r) => r.task))).map((c) => [c.key, c]));
    return refs.map((ref): Claim => {
      const task = claimed.get(ref.task);
      if (!task) return { action: "skip", reason: "delivered" };
      return {
        action: "run",
        task: {
          id: task.id,
          topic: "test.effect",
          payload: JSON.parse(task.payload) as { sentAt: number },
          tenant: "bench",
          subject: "",
          attempt: task.attempts,
          deliveryId: `${ref.object}:${ref.task}:${ref.subscription}`,
        },
      };
    });
  }

  async complete(items: { ref: DeliveryRef }[]): Promise<void> {
    await store(this.env).complete(items.map((i) => i.ref.task));
  }

  fail(): FailOutcome {
    return { action: "retry", delaySeconds: 1 };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    if (url.pathname === "/send" && request.method === "POST") {
      const n = Math.min(100, Number(url.searchParams.get("n") ?? 100));
      const { sentAt } = await request.json<{ sentAt: number }>();
      const queue: FloorQueue = url.searchParams.get("library") === "1" ? "LIBRARY" : "DELIVERY";
      return Response.json({ sent: await store(env).ingest(n, sentAt, queue) });
    }
    if (url.pathname === "/count") return Response.json({ count: await store(env).count() });
    if (url.pathname === "/stats") return Response.json(await store(env).stats());
    if (url.pathname === "/usage") return Response.json(await store(env).usage());
    if (url.pathname === "/reset" && request.method === "POST") {
      await store(env).reset();
      return Response.json({ ok: true });
    }
    return new Response("not found", { status: 404 });
  },
  async queue(batch, env) {
    // One object here; Errand's consumer splits a batch by the object each message names.
    const object = store(env);
    const claimed = await object.claim(batch.messages.map((m) => m.body.task));
    await object.complete(claimed.map((c) => c.key));
    batch.ackAll();
  },
} satisfies ExportedHandler<FloorEnv, DeliveryRef>;
