/**
 * A webhook receiver, for tests and the demo: `POST /webhook/<receiver>` verifies the
 * `Errand-Signature` with the secrets registered for `<receiver>` (`PUT /receivers/<receiver>`)
 * and records the receipt, deduping on `Errand-Task-Id` as receivers should.
 */
import { SIGNATURE_HEADER, TASK_ID_HEADER, verifyWebhookSignature } from "@errand/edge";
import { ensureSchema } from "./effects.ts";

/** Registers the secrets a receiver accepts (several during a rotation). */
export async function registerReceiver(db: D1Database, receiver: string, secrets: string[]): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare(
      "INSERT INTO receiver_secrets (receiver, secrets) VALUES (?, ?) ON CONFLICT (receiver) DO UPDATE SET secrets = excluded.secrets",
    )
    .bind(receiver, JSON.stringify(secrets))
    .run();
}

/** Handles one webhook delivery. */
export async function receiveWebhook(db: D1Database, receiver: string, request: Request): Promise<Response> {
  await ensureSchema(db);
  const row = await db
    .prepare("SELECT secrets FROM receiver_secrets WHERE receiver = ?")
    .bind(receiver)
    .first<{ secrets: string }>();
  const secrets = row ? (JSON.parse(row.secrets) as string[]) : [];
  const body = await request.text();
  const check = await verifyWebhookSignature(request.headers.get(SIGNATURE_HEADER), body, secrets);
  if (!check.ok) return Response.json({ error: check.reason }, { status: 401 });
  const taskId = request.headers.get(TASK_ID_HEADER) ?? "";
  await db
    .prepare(
      "INSERT OR IGNORE INTO webhook_receipts (receiver, task_id, body, received_at) VALUES (?, ?, ?, ?)",
    )
    .bind(receiver, taskId, body, Date.now())
    .run();
  return Response.json({ received: taskId });
}

/** Receipts of a receiver, in arrival order. */
export async function receiptsOf(
  db: D1Database,
  receiver: string,
): Promise<{ task_id: string; body: string }[]> {
  await ensureSchema(db);
  const rows = await db
    .prepare("SELECT task_id, body FROM webhook_receipts WHERE receiver = ? ORDER BY seq")
    .bind(receiver)
    .all<{ task_id: string; body: string }>();
  return rows.results;
}
