/**
 * Subscriptions of a topic: creating one (a webhook's secret is returned once), listing,
 * deleting (its pending deliveries are cancelled, so nothing waits on it) and rotating a
 * webhook's secret (each old one stays valid for `SECRET_GRACE_MS`).
 */
import type { OnDead } from "@errand/core";
import type { Subscription, SubscriptionRequest } from "@errand/core/wire";
import { randomSecret } from "../auth/crypto.ts";
import { forgetTopics } from "../auth/topic-config.ts";
import { objectByHex, subjectObjectId } from "../objects/subject-ref.ts";
import { deliveryQueues, isDeclaredTarget } from "../queues/delivery-queues.ts";
import { checkWebhookTarget } from "../queues/webhook-target.ts";
import { ApiError } from "./api-error.ts";

/** How long a rotated-out webhook secret keeps working: 24 hours. */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * Most rotated-out secrets in their grace at once; past it the oldest loses its grace early.
 * Every one adds a signature to each webhook's header.
 */
export const MAX_GRACE_SECRETS = 10;

interface SubscriptionRow {
  id: string;
  topic: string;
  kind: Subscription["kind"];
  target: string;
  result_from: number;
  on_dead: OnDead;
}

/** Creates a subscription; refuses undeclared queues and disallowed webhook targets. */
export async function createSubscription(
  env: Env,
  tenant: string,
  topic: string,
  request: SubscriptionRequest,
  apiHost: string,
): Promise<Subscription> {
  if (request.kind === "queue" && !isDeclaredTarget(deliveryQueues(env), request.target)) {
    throw new ApiError(
      "invalid_request",
      `${request.target} is not a delivery queue declared in wrangler.toml.`,
    );
  }
  if (request.kind === "webhook") {
    const refused = checkWebhookTarget(env, request.target, [apiHost]);
    if (refused) throw new ApiError("invalid_request", refused);
  }
  const id = `sub_${randomSecret(9).replace(/[^A-Za-z0-9]/g, "x")}`;
  const secret = request.kind === "webhook" ? `whsec_${randomSecret(24)}` : null;
  const onDead = request.onDead ?? "continue";
  await env.DB.prepare(
    `INSERT INTO subscriptions (id, tenant, topic, kind, target, result_from, on_dead, secret, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      tenant,
      topic,
      request.kind,
      request.target,
      request.resultFrom ? 1 : 0,
      onDead,
      secret,
      Date.now(),
    )
    .run();
  forgetTopics(tenant);
  const view: Subscription = {
    id,
    topic,
    kind: request.kind,
    target: request.target,
    resultFrom: !!request.resultFrom,
    onDead,
  };
  return secret === null ? view : { ...view, secret };
}

/** The live subscriptions of a topic. */
export async function listSubscriptions(
  db: D1Database,
  tenant: string,
  topic: string,
): Promise<Subscription[]> {
  const rows = await db
    .prepare(
      `SELECT id, topic, kind, target, result_from, on_dead FROM subscriptions
       WHERE tenant = ? AND topic = ? AND deleted_at IS NULL ORDER BY created_at, id`,
    )
    .bind(tenant, topic)
    .all<SubscriptionRow>();
  return rows.results.map((r) => ({
    id: r.id,
    topic: r.topic,
    kind: r.kind,
    target: r.target,
    resultFrom: r.result_from === 1,
    onDead: r.on_dead,
  }));
}

/**
 * Deletes a subscription; false when unknown. Its deliveries still pending are cancelled, so
 * nothing waits on it (a task whose last pending delivery that was is then done, and its live
 * sessions hear it): at once in the server subject's object and in every object whose fed stats
 * show one pending, and by any other object when such a delivery next comes up (at claim).
 */
export async function deleteSubscription(
  env: Env,
  tenant: string,
  topic: string,
  id: string,
): Promise<boolean> {
  const deleted = await env.DB.prepare(
    "UPDATE subscriptions SET deleted_at = ? WHERE id = ? AND tenant = ? AND topic = ? AND deleted_at IS NULL RETURNING id",
  )
    .bind(Date.now(), id, tenant, topic)
    .first<{ id: string }>();
  forgetTopics(tenant);
  if (deleted === null) return false;
  const holding = await env.DB.prepare(
    `SELECT DISTINCT r.object FROM subject_stats r, json_each(r.stats, '$.subscriptions') AS s
     WHERE r.tenant = ? AND s.value ->> '$.subscription' = ? AND s.value ->> '$.pending' > 0`,
  )
    .bind(tenant, id)
    .all<{ object: string }>();
  const objects = new Set([
    subjectObjectId(env, tenant, "").toString(),
    ...holding.results.map((r) => r.object),
  ]);
  await Promise.all([...objects].map((hex) => objectByHex(env, hex)?.dropSubscription(id)));
  return true;
}

/** Rotates a webhook subscription's secret; returns it with the new secret, or undefined. */
export async function rotateSecret(
  env: Env,
  tenant: string,
  topic: string,
  id: string,
): Promise<Subscription | undefined> {
  const secret = `whsec_${randomSecret(24)}`;
  const now = Date.now();
  // One statement, so two rotations at once cannot lose a secret: the current one joins the old
  // ones still in their grace, newest first, at most MAX_GRACE_SECRETS. The single old_secret is
  // kept up too, for code from before migration 0006 (during a deploy, or after a rollback).
  const row = await env.DB.prepare(
    `UPDATE subscriptions SET
       old_secrets = (
         SELECT json_group_array(json(entry)) FROM (
           SELECT json_object('secret', secret, 'until', ?1) AS entry, ?1 AS until
           UNION ALL
           SELECT value, value ->> '$.until' FROM json_each(old_secrets) WHERE value ->> '$.until' > ?6
           ORDER BY until DESC LIMIT ?7
         )
       ),
       old_secret = secret,
       old_secret_until = ?1,
       secret = ?2
     WHERE id = ?3 AND tenant = ?4 AND topic = ?5 AND kind = 'webhook' AND deleted_at IS NULL
     RETURNING id, topic, kind, target, result_from, on_dead`,
  )
    .bind(now + SECRET_GRACE_MS, secret, id, tenant, topic, now, MAX_GRACE_SECRETS)
    .first<SubscriptionRow>();
  if (!row) return undefined;
  return {
    id: row.id,
    topic: row.topic,
    kind: row.kind,
    target: row.target,
    resultFrom: row.result_from === 1,
    onDead: row.on_dead,
    secret,
  };
}
