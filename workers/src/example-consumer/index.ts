/**
 * @module
 * An example edge consumer Worker built with `@errand/edge`: it consumes the `errand-delivery`
 * queue, records what it did in its own D1 (so tests count effects), and serves a webhook
 * receiver. Its HTTP routes exist for tests and the demo: `GET /effects?ids=…`,
 * `PUT /receivers/:name`, `POST /webhook/:name`, `GET /receivers/:name/receipts`,
 * `PUT|DELETE /switches/:name`.
 */
import { NonRetryableError } from "@errand/core";
import { type ConsumerApiBinding, defineConsumer } from "@errand/edge";
import { effectsOf, ensureSchema, setSwitch, switchIsOn } from "./effects.ts";
import { exampleTasks } from "./tasks.ts";
import { receiptsOf, receiveWebhook, registerReceiver } from "./webhook-receiver.ts";

/** The example consumer's bindings. */
export interface ConsumerEnv {
  DB: D1Database;
  ERRAND: ConsumerApiBinding;
}

const consumer = defineConsumer({
  tasks: exampleTasks,
  db: (env: ConsumerEnv) => env.DB,
  api: (env) => env.ERRAND,
  name: "example",
  handlers: {
    "demo.echo": async (payload, ctx) => {
      await ensureSchema(ctx.env.DB);
      ctx.write(effect(ctx.env.DB, ctx));
      return { echo: payload, by: "example-consumer" };
    },
    "test.effect": async (payload, ctx) => {
      await ensureSchema(ctx.env.DB);
      const switchedOn =
        payload.fatalWhile !== undefined && (await switchIsOn(ctx.env.DB, payload.fatalWhile));
      if (payload.fatal || switchedOn || (payload.fatalUntil ?? 0) > Date.now())
        throw new NonRetryableError("Asked to fail for good", { code: "fatal_by_request" });
      if (payload.failRate !== undefined && Math.random() < payload.failRate)
        throw new Error("Random failure, as asked");
      ctx.write(effect(ctx.env.DB, ctx));
      return { applied: true as const };
    },
  },
});

function effect(
  db: D1Database,
  ctx: { id: string; topic: string; subject: string; orderingKey?: string; attempt: number },
): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO effects (task_id, topic, subject, ordering_key, attempt, applied_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(ctx.id, ctx.topic, ctx.subject, ctx.orderingKey ?? null, ctx.attempt, Date.now());
}

export default {
  queue: (batch, env) => consumer.queue(batch, env),
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, first, name, rest] = url.pathname.split("/");
    if (request.method === "GET" && first === "effects") {
      const ids = (url.searchParams.get("ids") ?? "").split(",").filter(Boolean);
      return Response.json({ effects: await effectsOf(env.DB, ids) });
    }
    if (first === "receivers" && name && request.method === "PUT") {
      const { secrets } = await request.json<{ secrets: string[] }>();
      await registerReceiver(env.DB, name, secrets);
      return Response.json({ ok: true });
    }
    if (first === "receivers" && name && rest === "receipts") {
      return Response.json({ receipts: await receiptsOf(env.DB, name) });
    }
    if (first === "switches" && name && (request.method === "PUT" || request.method === "DELETE")) {
      await setSwitch(env.DB, name, request.method === "PUT");
      return Response.json({ ok: true });
    }
    if (first === "webhook" && name && request.method === "POST")
      return receiveWebhook(env.DB, name, request);
    return Response.json({ error: { code: "not_found", message: "No such route." } }, { status: 404 });
  },
} satisfies ExportedHandler<ConsumerEnv>;
