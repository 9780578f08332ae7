/**
 * A tenant's topics and live subscriptions, as ingest snapshots them into each task's
 * deliveries. Read from D1 (tenant-wide, small, read-mostly) and kept per isolate for
 * {@link CONFIG_TTL_MS}; a change made through this isolate forgets it at once, so another
 * isolate sees a new topic or subscription within that time.
 */
import type { SubscriptionKind } from "@errand/core/wire";
import type { TopicSnapshot } from "../objects/subject-tasks.ts";

/** How long an isolate keeps a tenant's topics. */
export const CONFIG_TTL_MS = 5_000;

interface TenantConfig {
  at: number;
  topics: Map<string, TopicSnapshot>;
  subscriptions: Set<string>;
}

const cache = new Map<string, TenantConfig>();

/** The tenant's topics (with their subscriptions), by name. */
export async function tenantTopics(env: Env, tenant: string): Promise<Map<string, TopicSnapshot>> {
  return (await config(env, tenant)).topics;
}

/** Whether a subscription of the tenant is live (not deleted), as of at most {@link CONFIG_TTL_MS} ago. */
export async function subscriptionLive(env: Env, tenant: string, id: string): Promise<boolean> {
  return (await config(env, tenant)).subscriptions.has(id);
}

/** Forgets a tenant's topics after a change through this isolate. */
export function forgetTopics(tenant: string): void {
  cache.delete(tenant);
}

async function config(env: Env, tenant: string): Promise<TenantConfig> {
  const cached = cache.get(tenant);
  if (cached && Date.now() - cached.at < CONFIG_TTL_MS) return cached;
  const [topics, subs] = await env.DB.batch<Record<string, string | number>>([
    env.DB.prepare("SELECT name, ordering FROM topics WHERE tenant = ?").bind(tenant),
    env.DB.prepare(
      `SELECT id, topic, kind, target, result_from, on_dead FROM subscriptions
       WHERE tenant = ? AND deleted_at IS NULL ORDER BY created_at, id`,
    ).bind(tenant),
  ]);
  const map = new Map<string, TopicSnapshot>();
  for (const row of (topics?.results ?? []) as { name: string; ordering: string }[]) {
    map.set(row.name, { ordering: row.ordering === "none" ? "none" : "key", subscriptions: [] });
  }
  const ids = new Set<string>();
  for (const row of (subs?.results ?? []) as {
    id: string;
    topic: string;
    kind: SubscriptionKind;
    target: string;
    result_from: number;
    on_dead: string;
  }[]) {
    ids.add(row.id);
    map.get(row.topic)?.subscriptions.push({
      id: row.id,
      kind: row.kind,
      target: row.target,
      resultFrom: row.result_from === 1,
      onDead: row.on_dead === "halt" ? "halt" : "continue",
    });
  }
  const entry = { at: Date.now(), topics: map, subscriptions: ids };
  if (cache.size > 10_000) cache.clear();
  cache.set(tenant, entry);
  return entry;
}
