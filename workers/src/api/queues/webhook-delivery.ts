/**
 * The webhook sender: the consumer of the internal webhook queue. Each message is one task for
 * one webhook subscription: claimed, POSTed signed, then completed or failed. 2xx is delivered
 * (a JSON body is the result); 429 and 5xx are retried, honouring `Retry-After`; any other
 * status is dead at once. While rotated-out secrets are in their grace period, the header
 * carries a signature under each of them too.
 */

import { type JsonValue, NonRetryableError, serializeError } from "@errand/core";
import { signWebhook, TASK_ID_HEADER } from "@errand/edge";
import { claimDeliveries, completeDeliveries, failDelivery } from "./consumer-calls.ts";
import type { DeliveryMessage } from "./messages.ts";
import { checkWebhookTarget } from "./webhook-target.ts";

const TIMEOUT_MS = 10_000;

/** Sends every webhook delivery of a batch, acking or retrying each message on its own. */
export async function sendWebhookBatch(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  // Copies of one delivery in a batch (a redelivery) are sent once and share its fate.
  const copies = new Map<string, Message<DeliveryMessage>[]>();
  for (const message of batch.messages) {
    const key = `${message.body.object}:${message.body.task}:${message.body.subscription}`;
    copies.set(key, [...(copies.get(key) ?? []), message]);
  }
  await Promise.all([...copies.values()].map((messages) => sendOne(env, messages)));
}

async function sendOne(env: Env, messages: Message<DeliveryMessage>[]): Promise<void> {
  const [first] = messages;
  if (!first) return;
  const message = {
    body: first.body,
    ack: () => {
      for (const m of messages) m.ack();
    },
    retry: (options: QueueRetryOptions) => {
      for (const m of messages) m.retry(options);
    },
  };
  try {
    const [claim = { action: "skip" as const }] = await claimDeliveries(env, [message.body]);
    if (claim.action === "skip") return message.ack();
    if (claim.action === "wait") return message.retry({ delaySeconds: claim.delaySeconds });
    const sub = await env.DB.prepare(
      "SELECT target, result_from, secret, old_secrets FROM subscriptions WHERE id = ? AND deleted_at IS NULL",
    )
      .bind(message.body.subscription)
      .first<WebhookRow>();
    if (!sub) return message.ack();
    const outcome = await post(env, sub, claim.task);
    if (outcome.ok) {
      await completeDeliveries(env, [
        {
          ref: message.body,
          ...(sub.result_from === 1 && outcome.result !== undefined ? { result: outcome.result } : {}),
        },
      ]);
      return message.ack();
    }
    const decision = await failDelivery(env, message.body, serializeError(outcome.error), outcome.retryAfter);
    if (decision.action === "retry") message.retry({ delaySeconds: decision.delaySeconds });
    else message.ack();
  } catch (error) {
    console.error("errand-api: webhook delivery failed", error);
    message.retry({ delaySeconds: 1 });
  }
}

type PostOutcome = { ok: true; result?: JsonValue } | { ok: false; error: Error; retryAfter?: number };

interface WebhookRow {
  target: string;
  result_from: number;
  secret: string;
  /** JSON `[{ secret, until }]`: rotated-out secrets and the end of their grace (Unix ms). */
  old_secrets: string;
}

/** The secrets a webhook is signed with now: the current one, then those still in their grace. */
function signingSecrets(sub: WebhookRow, now: number): string[] {
  const old = JSON.parse(sub.old_secrets) as { secret: string; until: number }[];
  return [sub.secret, ...old.filter((entry) => entry.until > now).map((entry) => entry.secret)];
}

async function post(
  env: Env,
  sub: WebhookRow,
  task: { id: string; topic: string; payload: JsonValue; attempt: number; deliveryId: string },
): Promise<PostOutcome> {
  // Checked again at send time: the rules may have tightened since the subscription was made.
  const refused = checkWebhookTarget(env, sub.target, []);
  if (refused)
    return { ok: false, error: new NonRetryableError(refused, { code: "webhook_target_refused" }) };
  const body = JSON.stringify({
    id: task.id,
    topic: task.topic,
    payload: task.payload,
    attempt: task.attempt,
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = await signWebhook(signingSecrets(sub, Date.now()), body, timestamp);
  let response: Response;
  try {
    response = await fetch(sub.target, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "Errand-Signature": signature,
        [TASK_ID_HEADER]: task.id,
        "Errand-Delivery-Id": task.deliveryId,
        "Errand-Attempt": String(task.attempt),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
  if (response.ok) {
    const text = await response.text();
    if (!text || !(response.headers.get("content-type") ?? "").includes("json")) return { ok: true };
    try {
      return { ok: true, result: JSON.parse(text) as JsonValue };
    } catch {
      return { ok: true };
    }
  }
  await response.body?.cancel();
  const message = `Webhook answered ${response.status}`;
  if (response.status === 429 || response.status >= 500) {
    const retryAfter = Number(response.headers.get("retry-after"));
    return {
      ok: false,
      error: new Error(message),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter: Math.min(retryAfter, 43_200) } : {}),
    };
  }
  return { ok: false, error: new NonRetryableError(message, { code: `http_${response.status}` }) };
}
