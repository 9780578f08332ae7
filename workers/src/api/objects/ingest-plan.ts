/**
 * Deciding what becomes of each item of a `POST /v1/tasks` batch, given what is already stored.
 * Pure: the route gathers the facts, this decides, the store writes.
 */
import type { SubmitItem, SubmitItemResult, WireTask } from "@errand/core/wire";

/** A task already stored for this tenant and subject that an item may collide with. */
export interface ExistingTask {
  id: string;
  dedupKey: string | null;
  payloadHash: string;
}

/** What the plan needs to know about the caller and the tenant. */
export interface PlanFacts {
  mayPublish: (topic: string) => boolean;
  knownTopics: ReadonlySet<string>;
  existing: readonly ExistingTask[];
  /** SHA-256 of each valid item's JSON payload, by item index. */
  hashes: ReadonlyMap<number, string>;
}

/** The plan: one result per item, and the tasks to store (with their item index). */
export interface IngestPlan {
  results: SubmitItemResult[];
  toStore: { index: number; task: WireTask; payloadHash: string }[];
}

/**
 * Classifies each item: rejected (invalid, forbidden, unknown topic, or its id taken by another
 * payload), duplicate (its id with the same payload, or its dedup key, already accepted, in
 * storage or earlier in this batch; a duplicate by key names the holder in `duplicateOf`) or
 * accepted.
 */
export function planIngest(items: readonly SubmitItem[], facts: PlanFacts): IngestPlan {
  const byId = new Map(facts.existing.map((t) => [t.id, t.payloadHash]));
  // Each dedup key and the id of the task holding it, which a duplicate by key names.
  const dedupKeys = new Map(facts.existing.flatMap((t) => (t.dedupKey === null ? [] : [[t.dedupKey, t.id]])));
  const results: SubmitItemResult[] = [];
  const toStore: IngestPlan["toStore"] = [];
  items.forEach((item, index) => {
    if (!item.ok) {
      results.push({
        ...(item.id === undefined ? {} : { id: item.id }),
        status: "rejected",
        error: item.error,
      });
      return;
    }
    const { task } = item;
    const rejection = refusal(task.id, task.topic, facts);
    if (rejection) {
      results.push(rejection);
      return;
    }
    const hash = facts.hashes.get(index) ?? "";
    const seen = byId.get(task.id);
    if (seen !== undefined) {
      results.push(
        seen === hash
          ? { id: task.id, status: "duplicate" }
          : rejected(task.id, "id_conflict", `Task ${task.id} was already accepted with another payload.`),
      );
      return;
    }
    const holder = task.dedupKey === undefined ? undefined : dedupKeys.get(task.dedupKey);
    if (holder !== undefined) {
      results.push({ id: task.id, status: "duplicate", duplicateOf: holder });
      return;
    }
    byId.set(task.id, hash);
    if (task.dedupKey !== undefined) dedupKeys.set(task.dedupKey, task.id);
    toStore.push({ index, task, payloadHash: hash });
    results.push({ id: task.id, status: "accepted" });
  });
  return { results, toStore };
}

function refusal(id: string, topic: string, facts: PlanFacts): SubmitItemResult | undefined {
  if (!facts.mayPublish(topic))
    return rejected(id, "topic_forbidden", `This credential may not publish to ${topic}.`);
  if (!facts.knownTopics.has(topic)) return rejected(id, "unknown_topic", `No topic named ${topic}.`);
  return undefined;
}

function rejected(
  id: string,
  code: "topic_forbidden" | "unknown_topic" | "id_conflict",
  message: string,
): SubmitItemResult {
  return { id, status: "rejected", error: { code, message } };
}
