import type { EffectRow } from "./consumer-effects.ts";

/** A task as a test submitted it: `subject` is the index of the token that published it. */
export interface PlannedTask {
  id: string;
  subject: number;
  orderingKey?: string;
}

/** The parts of a task's view (wire contract v1) an audit reads. */
export interface TaskView {
  id: string;
  status: string;
  deliveries: { status: string; attempts: number }[];
}

/**
 * What a run left: counts to assert on (each task's effects, its status, its key's order), and
 * for a failure, what the lost tasks look like.
 */
export function auditDelivery(
  tasks: readonly PlannedTask[],
  effects: readonly EffectRow[],
  delivered: ReadonlySet<string>,
  latest: ReadonlyMap<string, TaskView>,
) {
  const times = new Map<string, number>();
  for (const e of effects) times.set(e.task_id, (times.get(e.task_id) ?? 0) + 1);
  const missing = tasks.filter((t) => !times.has(t.id)).map((t) => t.id);
  const doubled = tasks.filter((t) => (times.get(t.id) ?? 0) > 1).map((t) => t.id);
  const notDelivered = tasks.filter((t) => !delivered.has(t.id)).map((t) => t.id);

  // Per key, the tasks that had an effect must have had it in submission order.
  const firstSeq = new Map<string, number>();
  for (const e of effects) if (!firstSeq.has(e.task_id)) firstSeq.set(e.task_id, e.seq);
  const outOfOrder: string[] = [];
  for (const key of new Set(tasks.flatMap((t) => (t.orderingKey ? [t.orderingKey] : [])))) {
    const submitted = tasks.filter((t) => t.orderingKey === key && firstSeq.has(t.id)).map((t) => t.id);
    const applied = [...submitted].sort((a, b) => (firstSeq.get(a) ?? 0) - (firstSeq.get(b) ?? 0));
    if (submitted.join() !== applied.join()) outOfOrder.push(key);
  }

  // A lost task's status and its deliveries' (status × attempts), counted: where it was stranded.
  const statuses: Record<string, number> = {};
  for (const id of new Set([...missing, ...notDelivered])) {
    const view = latest.get(id);
    const shape = view
      ? `${view.status} [${view.deliveries.map((d) => `${d.status}×${d.attempts}`).join(", ")}]`
      : "not found";
    statuses[shape] = (statuses[shape] ?? 0) + 1;
  }
  return {
    counts: {
      accepted: tasks.length,
      appliedOnce: tasks.filter((t) => times.get(t.id) === 1).length,
      missing: missing.length,
      doubled: doubled.length,
      notDelivered: notDelivered.length,
      outOfOrderKeys: outOfOrder.length,
    },
    details: {
      statusesOfLost: statuses,
      missing: missing.slice(0, 5),
      doubled: doubled.slice(0, 5).map((id) => effects.filter((e) => e.task_id === id)),
      outOfOrderKeys: outOfOrder,
    },
  };
}
