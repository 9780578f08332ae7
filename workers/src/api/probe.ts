import { Hono } from "hono";
import type { IngestMessage } from "./messages.ts";

/**
 * Dev/test-only pipeline probe: `POST /v1/dev/probes` sends a message through the ingest
 * queue; the router records its arrival in D1; `GET /v1/dev/probes/:id` reads it back.
 */
export const probeRoutes = new Hono<{ Bindings: Env }>()
  .post("/", async (c) => {
    const id = crypto.randomUUID();
    const message: IngestMessage = { kind: "probe", id, sentAt: Date.now() };
    await c.env.INGEST_QUEUE.send(message);
    return c.json({ id }, 202);
  })
  .get("/:id", async (c) => {
    const row = await c.env.DB.prepare("SELECT id, sent_at, received_at FROM probes WHERE id = ?")
      .bind(c.req.param("id"))
      .first<{ id: string; sent_at: number; received_at: number }>();
    if (!row) return c.json({ error: { code: "not_found", message: "No such probe (yet)." } }, 404);
    return c.json({ id: row.id, sentAt: row.sent_at, receivedAt: row.received_at });
  });

/** Records a probe's arrival; a redelivered probe keeps its first arrival time. */
export async function recordProbe(
  env: Env,
  message: Extract<IngestMessage, { kind: "probe" }>,
): Promise<void> {
  await env.DB.prepare("INSERT OR IGNORE INTO probes (id, sent_at, received_at) VALUES (?, ?, ?)")
    .bind(message.id, message.sentAt, Date.now())
    .run();
}
