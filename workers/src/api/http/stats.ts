/**
 * `GET /v1/stats`: per topic and per subscription, how many tasks are where. Each subject's
 * object feeds its own counts to D1 (`subject_stats`, within `FEED_SECONDS` of a change); this
 * sums them over the tenant's subjects. An object that deleted itself (nothing left) has no row.
 */

import type { StatsResponse, SubscriptionStats, TopicStats } from "@errand/core/wire";
import type { SubjectStats } from "../objects/subject.ts";

const TOPIC_COUNTS = ["accepted", "queued", "delivered", "succeeded", "dead", "cancelled"] as const;
const SUB_COUNTS = ["inFlight", "failed", "pending", "delivered", "dead", "cancelled"] as const;

/** The tenant's stats. */
export async function tenantStats(db: D1Database, tenant: string): Promise<StatsResponse> {
  const [rollups, subs] = await db.batch<Record<string, string>>([
    db.prepare("SELECT stats FROM subject_stats WHERE tenant = ?").bind(tenant),
    db
      .prepare(
        "SELECT id, topic, kind FROM subscriptions WHERE tenant = ? AND deleted_at IS NULL ORDER BY topic, id",
      )
      .bind(tenant),
  ]);
  const topics = new Map<string, TopicStats>();
  const subscriptions = new Map<string, SubscriptionStats>();
  for (const row of (subs?.results ?? []) as {
    id: string;
    topic: string;
    kind: SubscriptionStats["kind"];
  }[]) {
    subscriptions.set(row.id, {
      subscription: row.id,
      topic: row.topic,
      kind: row.kind,
      ...Object.fromEntries(SUB_COUNTS.map((name) => [name, 0])),
    } as SubscriptionStats);
  }
  for (const { stats } of (rollups?.results ?? []) as { stats: string }[]) {
    const parsed = JSON.parse(stats) as SubjectStats;
    for (const { topic, status, n } of parsed.topics) {
      const entry =
        topics.get(topic) ??
        ({ topic, ...Object.fromEntries(TOPIC_COUNTS.map((name) => [name, 0])) } as TopicStats);
      const key = status as (typeof TOPIC_COUNTS)[number];
      if (TOPIC_COUNTS.includes(key)) entry[key] += n;
      topics.set(topic, entry);
    }
    for (const sub of parsed.subscriptions) {
      const entry = subscriptions.get(sub.subscription);
      if (!entry) continue;
      for (const name of SUB_COUNTS) entry[name] += sub[name] ?? 0;
    }
  }
  return {
    topics: [...topics.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0)),
    subscriptions: [...subscriptions.values()],
  };
}
