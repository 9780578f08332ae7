/**
 * Admin routes (keys with the `admin` scope): topics, subscriptions, keys, dead letters, stats.
 * Everything is scoped to the key's tenant; another tenant's ids read as `404`.
 */
import {
  isTopicName,
  isTopicPattern,
  MAX_ADMIN_BODY_BYTES,
  parseSubscriptionRequest,
  parseTopicRequest,
  type SubscriptionListResponse,
  type TopicListResponse,
  type TopicView,
} from "@errand/core/wire";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { insertApiKey, mintApiKey, SCOPES, type Scope } from "../auth/api-key.ts";
import { forgetCachedCredentials } from "../auth/authenticate.ts";
import { hasScope } from "../auth/principal.ts";
import { forgetTopics } from "../auth/topic-config.ts";
import { listDeadLetters, replayDeadLetter } from "../queues/dead-letters.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { jsonBody } from "./json-body.ts";
import { tenantStats } from "./stats.ts";
import { createSubscription, deleteSubscription, listSubscriptions, rotateSecret } from "./subscriptions.ts";

/** The admin routes, mounted at `/v1`. */
export const adminRoutes = new Hono<AppEnv>();

/** Checks the admin scope before a body is read, so a caller without it learns only that. */
const adminOnly: MiddlewareHandler<AppEnv> = async function adminOnly(c, next) {
  tenantOf(c);
  await next();
};
const body = jsonBody({ maxBytes: MAX_ADMIN_BODY_BYTES });
const optionalBody = jsonBody({ maxBytes: MAX_ADMIN_BODY_BYTES, optional: true });

adminRoutes.put("/topics/:name", adminOnly, optionalBody, async (c) => {
  const tenant = tenantOf(c);
  const name = topicParam(c);
  const parsed = parseTopicRequest(c.get("body"));
  if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
  const ordering = parsed.value.ordering ?? "key";
  await c.env.DB.prepare(
    `INSERT INTO topics (tenant, name, description, ordering, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, name) DO UPDATE SET description = excluded.description, ordering = excluded.ordering`,
  )
    .bind(tenant, name, parsed.value.description ?? null, ordering, Date.now())
    .run();
  forgetTopics(tenant);
  const view: TopicView = {
    name,
    ordering,
    ...(parsed.value.description ? { description: parsed.value.description } : {}),
  };
  return c.json(view);
});

adminRoutes.get("/topics", async (c) => {
  const rows = await c.env.DB.prepare(
    "SELECT name, description, ordering FROM topics WHERE tenant = ? ORDER BY name",
  )
    .bind(tenantOf(c))
    .all<{ name: string; description: string | null; ordering: TopicView["ordering"] }>();
  const topics = rows.results.map((r) => ({
    name: r.name,
    ordering: r.ordering,
    ...(r.description ? { description: r.description } : {}),
  }));
  return c.json({ topics } satisfies TopicListResponse);
});

adminRoutes.post("/topics/:name/subscriptions", adminOnly, body, async (c) => {
  const topic = await existingTopic(c);
  const parsed = parseSubscriptionRequest(c.get("body"));
  if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
  return c.json(
    await createSubscription(c.env, tenantOf(c), topic, parsed.value, new URL(c.req.url).host),
    201,
  );
});

adminRoutes.get("/topics/:name/subscriptions", async (c) => {
  const topic = await existingTopic(c);
  return c.json({
    subscriptions: await listSubscriptions(c.env.DB, tenantOf(c), topic),
  } satisfies SubscriptionListResponse);
});

adminRoutes.delete("/topics/:name/subscriptions/:id", async (c) => {
  const tenant = tenantOf(c);
  if (!(await deleteSubscription(c.env, tenant, topicParam(c), c.req.param("id")))) {
    throw new ApiError("not_found", "No such subscription.");
  }
  return c.json({ deleted: true });
});

adminRoutes.post("/topics/:name/subscriptions/:id/rotate-secret", async (c) => {
  const tenant = tenantOf(c);
  const rotated = await rotateSecret(c.env, tenant, topicParam(c), c.req.param("id"));
  if (!rotated) throw new ApiError("not_found", "No such webhook subscription.");
  return c.json(rotated);
});

adminRoutes.post("/keys", adminOnly, body, async (c) => {
  const tenant = tenantOf(c);
  const parsed = c.get("body");
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError("invalid_request", "The body must be an object with scopes, topics and name.");
  }
  const body = parsed as { scopes?: unknown; topics?: unknown; name?: unknown };
  const scopes = Array.isArray(body.scopes) ? body.scopes : [];
  const topics = body.topics === undefined ? ["*"] : body.topics;
  if (scopes.length === 0 || !scopes.every((s): s is Scope => (SCOPES as unknown[]).includes(s))) {
    throw new ApiError("invalid_request", 'scopes must be a non-empty array of "publish", "read", "admin".');
  }
  if (!Array.isArray(topics) || topics.length === 0 || !topics.every(isTopicPattern)) {
    throw new ApiError(
      "invalid_request",
      "topics must be a non-empty array of topic names or prefix* patterns.",
    );
  }
  const name = typeof body.name === "string" ? body.name.slice(0, 200) : "";
  const key = await mintApiKey();
  await insertApiKey(c.env.DB, key, tenant, scopes, topics, name).run();
  return c.json({ id: key.id, key: key.key, scopes, topics, name }, 201);
});

adminRoutes.get("/keys", async (c) => {
  const rows = await c.env.DB.prepare(
    "SELECT id, scopes, topics, name, created_at FROM api_keys WHERE tenant = ? AND revoked_at IS NULL ORDER BY created_at",
  )
    .bind(tenantOf(c))
    .all<{ id: string; scopes: string; topics: string; name: string; created_at: number }>();
  const keys = rows.results.map((r) => ({
    id: r.id,
    scopes: JSON.parse(r.scopes) as string[],
    topics: JSON.parse(r.topics) as string[],
    name: r.name,
    createdAt: new Date(r.created_at).toISOString(),
  }));
  return c.json({ keys });
});

adminRoutes.delete("/keys/:id", async (c) => {
  const id = c.req.param("id");
  const tenant = tenantOf(c);
  // `revoked` 1 when this call revoked it, 0 when it was revoked before; no row: no such key.
  const row = await c.env.DB.prepare(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2 AND tenant = ?3
     RETURNING revoked_at = ?1 AS revoked`,
  )
    .bind(Date.now(), id, tenant)
    .first<{ revoked: number }>();
  if (!row) throw new ApiError("not_found", "No such key.");
  forgetCachedCredentials();
  // Its live sockets close too (a ticket checked the key only when it was issued), and the hub
  // refuses it from now on, whatever another isolate's credential cache still believes. Repeated
  // on a second DELETE, so a first one that failed here still closes them.
  await c.env.HUB.get(c.env.HUB.idFromName(tenant)).revokeKey(id);
  if (row.revoked !== 1) throw new ApiError("not_found", "No such key.");
  return c.json({ revoked: true });
});

adminRoutes.get("/dead-letters", async (c) => {
  return c.json({ deadLetters: await listDeadLetters(c.env.DB, tenantOf(c)) });
});

adminRoutes.post("/dead-letters/:id/replay", async (c) => {
  const outcome = await replayDeadLetter(c.env, tenantOf(c), c.req.param("id"));
  if (outcome === "not_found") throw new ApiError("not_found", "No such dead letter.");
  if (outcome === "subscription_deleted") {
    throw new ApiError(
      "not_found",
      "The dead letter's subscription was deleted: there is nothing to replay it to.",
    );
  }
  return c.json({ replayed: true });
});

adminRoutes.get("/stats", async (c) => c.json(await tenantStats(c.env.DB, tenantOf(c))));

/** The caller's tenant; `403 forbidden` without the admin scope. */
function tenantOf(c: Context<AppEnv>): string {
  const principal = c.get("principal");
  if (!hasScope(principal, "admin")) throw new ApiError("forbidden", "This route needs the admin scope.");
  return principal.tenant.id;
}

function topicParam(c: Context<AppEnv>): string {
  const name = c.req.param("name") ?? "";
  if (!isTopicName(name)) throw new ApiError("invalid_request", `${name} is not a topic name.`);
  return name;
}

async function existingTopic(c: Context<AppEnv>): Promise<string> {
  const tenant = tenantOf(c);
  const name = topicParam(c);
  const row = await c.env.DB.prepare("SELECT 1 FROM topics WHERE tenant = ? AND name = ?")
    .bind(tenant, name)
    .first();
  if (!row) throw new ApiError("not_found", `No topic ${name}.`);
  return name;
}
