/**
 * How a task's status follows from its deliveries (wire contract v1): `cancelled` once
 * cancelled; `dead` when any `queue`/`webhook` delivery went dead; `succeeded` when every such
 * delivery is done and the `resultFrom` one returned a result; `delivered` when every such
 * delivery is done (at once for a topic with none); else `queued` once on the queue, or
 * `accepted`. `live` deliveries are best-effort and never hold the status back.
 */
import type { EdgeTaskStatus } from "@errand/core";
import type { DeliveryStatus, SubscriptionKind } from "@errand/core/wire";

/** What the aggregation reads of one delivery. */
export interface DeliveryFacts {
  kind: SubscriptionKind;
  status: DeliveryStatus;
  resultFrom: boolean;
  hasResult: boolean;
}

/** A task's status from its own facts and its deliveries'. Pure. */
export function aggregateStatus(
  task: { cancelled: boolean; queued: boolean },
  deliveries: readonly DeliveryFacts[],
): EdgeTaskStatus {
  if (task.cancelled) return "cancelled";
  const held = deliveries.filter((d) => d.kind !== "live");
  if (held.some((d) => d.status === "dead")) return "dead";
  if (held.every((d) => d.status === "delivered" || d.status === "cancelled")) {
    return held.some((d) => d.resultFrom && d.hasResult) ? "succeeded" : "delivered";
  }
  return task.queued ? "queued" : "accepted";
}

/** Statuses after which nothing more happens to a task (cancel answers `409 already_final`). */
export function isFinalStatus(status: EdgeTaskStatus): boolean {
  return status === "delivered" || status === "succeeded" || status === "dead" || status === "cancelled";
}

/**
 * {@link aggregateStatus} as SQL over a task row `t` and its deliveries, so a status is
 * recomputed inside the transaction that changed a delivery (no read-then-write race between
 * the router and a completing consumer). task-status.workerd.test.ts holds the two equal over
 * every combination of facts.
 */
export const STATUS_SQL = `CASE
  WHEN t.cancelled_at IS NOT NULL THEN 'cancelled'
  WHEN EXISTS (SELECT 1 FROM deliveries x WHERE x.task_key = t.key AND x.kind <> 'live' AND x.status = 'dead')
    THEN 'dead'
  WHEN NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.task_key = t.key AND x.kind <> 'live'
      AND x.status NOT IN ('delivered', 'cancelled'))
    THEN CASE WHEN EXISTS (SELECT 1 FROM deliveries x WHERE x.task_key = t.key AND x.kind <> 'live'
      AND x.result_from = 1 AND x.result IS NOT NULL) THEN 'succeeded' ELSE 'delivered' END
  WHEN t.queued_at IS NOT NULL OR t.routed_at IS NOT NULL THEN 'queued'
  ELSE 'accepted'
END`;

/**
 * A task's result as SQL over `t`: the first delivered `resultFrom` delivery's result (by
 * subscription id in byte order, the order task views list deliveries in), else what the task
 * already holds.
 */
export const RESULT_SQL = `COALESCE((SELECT x.result FROM deliveries x WHERE x.task_key = t.key
  AND x.result_from = 1 AND x.status = 'delivered' ORDER BY x.subscription LIMIT 1), t.result)`;
