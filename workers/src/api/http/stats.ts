/** `GET /v1/stats`: per topic and per subscription, how many tasks are where. */

import type { StatsResponse, SubscriptionStats, TopicStats } from "@errand/core/wire";

/** The tenant's stats. */
export async function tenantStats(db: D1Database, tenant: string): Promise<StatsResponse> {
  const [topics, subs] = await db.batch<Record<string, number | string>>([
    db
      .prepare(
        `SELECT topic,
           SUM(status = 'accepted') AS accepted, SUM(status = 'queued') AS queued,
           SUM(status = 'delivered') AS delivered, SUM(status = 'succeeded') AS succeeded,
           SUM(status = 'dead') AS dead, SUM(status = 'cancelled') AS cancelled
         FROM tasks WHERE tenant = ? GROUP BY topic ORDER BY topic`,
      )
      .bind(tenant),
    db
      .prepare(
        `SELECT s.id AS subscription, s.topic, s.kind,
           COALESCE(SUM(d.status = 'pending' AND d.dispatched_at IS NOT NULL), 0) AS inFlight,
           COALESCE(SUM(d.status = 'pending' AND d.last_error IS NOT NULL), 0) AS failed,
           COALESCE(SUM(d.status = 'pending'), 0) AS pending,
           COALESCE(SUM(d.status = 'delivered'), 0) AS delivered,
           COALESCE(SUM(d.status = 'dead'), 0) AS dead,
           COALESCE(SUM(d.status = 'cancelled'), 0) AS cancelled
         FROM subscriptions s LEFT JOIN deliveries d ON d.subscription = s.id
         WHERE s.tenant = ? AND s.deleted_at IS NULL GROUP BY s.id ORDER BY s.topic, s.id`,
      )
      .bind(tenant),
  ]);
  return {
    topics: (topics?.results ?? []) as unknown as TopicStats[],
    subscriptions: (subs?.results ?? []) as unknown as SubscriptionStats[],
  };
}
