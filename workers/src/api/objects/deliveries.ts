/**
 * Deliveries and their transitions: the one module that writes `deliveries` (and the dead
 * letters a death records). Every function runs inside the subject object's transaction and
 * returns what it changed; the object then sends what became sendable and tells live sessions.
 *
 * A delivery is `pending` until it is `delivered`, `dead` or `cancelled` (a replay takes a dead
 * one back to pending). Within an ordering scope (one subscription, one ordering key of this
 * subject) only the head runs: the pending delivery of the lowest task key with nothing ahead of
 * it still pending, dead under `on_dead: "halt"`, or cancelled with an attempt still running
 * (for at most {@link CANCELLED_HOLD_MS}).
 */
import { decideRetry, type JsonValue, type RetryPolicy, type SerializedError } from "@errand/core";
import type { WireError } from "@errand/core/wire";
import type { Claim, ClaimedTask } from "@errand/edge";
import type { DeliveryRow, SubjectDb } from "./subject-schema.ts";

/** Seconds a delivery waiting behind an earlier task of its key is put back for. */
export const WAIT_SECONDS = 1;

/**
 * How long a cancelled delivery with an attempt not reported holds its ordering key: the longest
 * a queue consumer invocation runs on Cloudflare (15 minutes), after which no such attempt can
 * still be running. Its report moves the key on sooner.
 */
export const CANCELLED_HOLD_MS = 15 * 60_000;

/** What a transition did: tasks whose view may have changed, scopes that may move on. */
export interface Changes {
  tasks: Set<number>;
  scopes: Map<string, Scope>;
}

/** One subscription's tasks sharing an ordering key. */
export interface Scope {
  subscription: string;
  okey: string;
}

/** An empty change set. */
export function noChanges(): Changes {
  return { tasks: new Set(), scopes: new Map() };
}

function touchScope(changes: Changes, subscription: string, okey: string | null): void {
  if (okey !== null) changes.scopes.set(JSON.stringify([subscription, okey]), { subscription, okey });
}

/**
 * SQL over a delivery `d` that holds when it heads its scope. `?` is the time before which a
 * cancelled delivery's unreported attempt no longer holds the key.
 */
const IS_HEAD = `(d.okey IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p
  WHERE p.subscription = d.subscription AND p.okey = d.okey AND p.task_key < d.task_key
    AND (p.status = 'pending' OR (p.status = 'dead' AND p.on_dead = 'halt')
      OR (p.status = 'cancelled' AND p.reported < p.attempts AND p.updated_at > ?))))`;

/** Pending deliveries of these tasks that head their scope and were never sent. */
export function unsentHeadsOf(db: SubjectDb, taskKeys: readonly number[], now: number): DeliveryRow[] {
  if (taskKeys.length === 0) return [];
  return db.all<DeliveryRow>(
    `SELECT d.* FROM deliveries d WHERE d.task_key IN (SELECT value FROM json_each(?))
       AND d.status = 'pending' AND d.sent_at IS NULL AND ${IS_HEAD} ORDER BY d.task_key`,
    JSON.stringify(taskKeys),
    now - CANCELLED_HOLD_MS,
  );
}

/** The next delivery to send in each scope, if it heads it and was never sent. */
export function nextInScopes(db: SubjectDb, scopes: Iterable<Scope>, now: number): DeliveryRow[] {
  const next: DeliveryRow[] = [];
  for (const { subscription, okey } of scopes) {
    const row = db.first<DeliveryRow>(
      `SELECT d.* FROM deliveries d WHERE d.subscription = ? AND d.okey = ? AND d.status = 'pending'
       ORDER BY d.task_key LIMIT 1`,
      subscription,
      okey,
    );
    if (!row || row.sent_at !== null) continue;
    const head = db.first<{ h: number }>(
      `SELECT ${IS_HEAD} AS h FROM deliveries d WHERE d.task_key = ? AND d.subscription = ?`,
      now - CANCELLED_HOLD_MS,
      row.task_key,
      row.subscription,
    );
    if (head?.h === 1) next.push(row);
  }
  return next;
}

/**
 * What the outbox holds now: heads whose `expect_by` passed, whether never sent (the send
 * failed, the isolate died after the commit) or sent with no news since (a lost queue message,
 * a consumer that died mid-attempt). A delivery past its time that does not head its scope
 * waits for the scope to move on instead: its watch is cleared, and the move sets it again.
 */
export function overdue(db: SubjectDb, now: number, limit = 500): DeliveryRow[] {
  const due = db.all<DeliveryRow & { head: number }>(
    `SELECT d.*, ${IS_HEAD} AS head FROM deliveries d WHERE d.status = 'pending' AND d.expect_by <= ?
     ORDER BY d.task_key LIMIT ?`,
    now - CANCELLED_HOLD_MS,
    now,
    limit,
  );
  const waiting = due.filter((d) => d.head !== 1);
  if (waiting.length > 0) {
    db.run(
      `UPDATE deliveries SET expect_by = NULL FROM json_each(?) AS j
       WHERE task_key = j.value ->> '$.t' AND subscription = j.value ->> '$.s'`,
      JSON.stringify(waiting.map((d) => ({ t: d.task_key, s: d.subscription }))),
    );
  }
  return due.filter((d) => d.head === 1);
}

/** When the outbox next needs a look: the earliest time a delivery expects news. */
export function nextWatch(db: SubjectDb): number | undefined {
  return (
    db.first<{ at: number | null }>("SELECT MIN(expect_by) AS at FROM deliveries WHERE status = 'pending'")
      ?.at ?? undefined
  );
}

/**
 * Records, in the transaction that made them sendable, that these deliveries are about to be
 * sent: each expects news by `graceMs` from now (a `live` one due later, by its due time), so a
 * send that fails or never happens is found by the alarm.
 */
export function intendToSend(
  db: SubjectDb,
  rows: readonly DeliveryRow[],
  now: number,
  graceMs: number,
): void {
  if (rows.length === 0) return;
  db.run(
    `UPDATE deliveries SET expect_by = CASE WHEN kind = 'live' AND due_at > ?1 THEN due_at ELSE ?2 END
     FROM json_each(?3) AS j WHERE task_key = j.value ->> '$.t' AND subscription = j.value ->> '$.s'`,
    now,
    now + graceMs,
    JSON.stringify(rows.map((d) => ({ t: d.task_key, s: d.subscription }))),
  );
}

/** The longest a sent delivery waits for news before it is sent again, however often it was. */
const MAX_WAIT_MS = 60 * 60_000;

/**
 * Records that these deliveries were sent: a `queue` or `webhook` one is expected to be claimed
 * within `visibilityMs` of its due time, doubled for each earlier send of it (at most an hour);
 * a `live` one is delivered as it is sent (best-effort), so its scope moves on.
 */
export function markSent(
  db: SubjectDb,
  sent: readonly DeliveryRow[],
  now: number,
  visibilityMs: number,
  changes: Changes,
): void {
  if (sent.length === 0) return;
  const live = sent.filter((d) => d.kind === "live");
  const queued = sent.filter((d) => d.kind !== "live");
  if (live.length > 0) {
    db.run(
      `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, sent_at = ?1, expect_by = NULL, updated_at = ?1
       FROM json_each(?2) AS j
       WHERE task_key = j.value ->> '$.t' AND subscription = j.value ->> '$.s' AND status = 'pending'`,
      now,
      JSON.stringify(live.map((d) => ({ t: d.task_key, s: d.subscription }))),
    );
    for (const d of live) touchScope(changes, d.subscription, d.okey);
  }
  if (queued.length > 0) {
    // A claim made while the send was on its way set its own watch (its attempts moved): keep it.
    db.run(
      `UPDATE deliveries SET sent_at = ?1, sends = sends + 1,
         expect_by = CASE WHEN attempts = j.value ->> '$.a' THEN j.value ->> '$.x' ELSE expect_by END
       FROM json_each(?2) AS j
       WHERE task_key = j.value ->> '$.t' AND subscription = j.value ->> '$.s' AND status = 'pending'`,
      now,
      JSON.stringify(
        queued.map((d) => ({
          t: d.task_key,
          s: d.subscription,
          a: d.attempts,
          x: Math.max(d.due_at, now) + Math.min(MAX_WAIT_MS, visibilityMs * 2 ** Math.min(d.sends, 20)),
        })),
      ),
    );
  }
  for (const d of sent) changes.tasks.add(d.task_key);
}

/** A claim's ref as this object sees it. */
export interface LocalRef {
  task: number;
  subscription: string;
}

/** The limits a claim applies. */
export interface ClaimRules {
  maxAttempts: number;
  /** How long an attempt may run before the delivery is sent again. */
  attemptMs: number;
  /** Names the delivery in `deliveryId` (the object's id). */
  object: string;
  tenant: string;
  subject: string;
}

/**
 * Claims deliveries for one attempt each: `run` (the attempt is counted now, so one that crashes
 * still counts), `skip` (finished, cancelled, unknown, or out of attempts: it dies here), or
 * `wait` (an earlier task of its key is still pending).
 */
export function claim(
  db: SubjectDb,
  refs: readonly LocalRef[],
  now: number,
  rules: ClaimRules,
  changes: Changes,
): Claim[] {
  if (refs.length === 0) return [];
  // One read for the batch (a delivery named twice is read once and claimed twice, as two
  // copies of its message would be), one write for every attempt it counts.
  const found = db.all<
    DeliveryRow & {
      id: string;
      topic: string;
      payload: string;
      ordering_key: string | null;
      cancelled_at: number | null;
      head: number;
    }
  >(
    `SELECT d.*, t.id, t.topic, t.payload, t.ordering_key, t.cancelled_at, ${IS_HEAD} AS head
     FROM deliveries d JOIN tasks t ON t.key = d.task_key
     WHERE (d.task_key, d.subscription) IN (SELECT value ->> '$.t', value ->> '$.s' FROM json_each(?))`,
    now - CANCELLED_HOLD_MS,
    JSON.stringify(refs.map((ref) => ({ t: ref.task, s: ref.subscription }))),
  );
  const rows = new Map(found.map((row) => [`${row.task_key}:${row.subscription}`, row]));
  const counted = new Map<string, { ref: LocalRef; attempts: number }>();
  const claims = refs.map((ref): Claim => {
    const id = `${ref.task}:${ref.subscription}`;
    const row = rows.get(id);
    if (!row) return { action: "skip", reason: "unknown" };
    if (row.status !== "pending") return { action: "skip", reason: row.status };
    if (row.cancelled_at !== null) return { action: "skip", reason: "cancelled" };
    if (row.head !== 1) return { action: "wait", delaySeconds: WAIT_SECONDS };
    const attempts = counted.get(id)?.attempts ?? row.attempts;
    if (attempts >= rules.maxAttempts) {
      if (!counted.has(id)) {
        markDead(
          db,
          ref,
          {
            code: "attempts_exhausted",
            message: `No outcome was reported after ${rules.maxAttempts} attempts.`,
          },
          now,
          changes,
        );
      }
      return { action: "skip", reason: "dead" };
    }
    const attempt = attempts + 1;
    counted.set(id, { ref, attempts: attempt });
    changes.tasks.add(ref.task);
    const task: ClaimedTask = {
      id: row.id,
      topic: row.topic,
      payload: JSON.parse(row.payload) as JsonValue,
      tenant: rules.tenant,
      subject: rules.subject,
      ...(row.ordering_key === null ? {} : { orderingKey: row.ordering_key }),
      attempt,
      deliveryId: `${rules.object}:${ref.task}:${ref.subscription}`,
    };
    return { action: "run", task };
  });
  if (counted.size > 0) {
    db.run(
      `UPDATE deliveries SET attempts = j.value ->> '$.a', expect_by = ?1, updated_at = ?2 FROM json_each(?3) AS j
       WHERE task_key = j.value ->> '$.t' AND subscription = j.value ->> '$.s'`,
      now + rules.attemptMs,
      now,
      JSON.stringify(
        [...counted.values()].map(({ ref, attempts }) => ({ t: ref.task, s: ref.subscription, a: attempts })),
      ),
    );
  }
  return claims;
}

/**
 * Records successful attempts (idempotent: a second completion changes nothing). A cancelled
 * delivery's report counts its attempt as stopped, moving its key on after the last of them.
 */
export function complete(
  db: SubjectDb,
  items: readonly { ref: LocalRef; result?: JsonValue }[],
  now: number,
  changes: Changes,
): void {
  if (items.length === 0) return;
  const done = db.all<DeliveryRow>(
    `UPDATE deliveries SET status = 'delivered', result = j.value ->> '$.r', last_error = NULL, expect_by = NULL,
       updated_at = ?1
     FROM json_each(?2) AS j
     WHERE task_key = j.value ->> '$.t' AND subscription = j.value ->> '$.s' AND status = 'pending'
     RETURNING *`,
    now,
    JSON.stringify(
      items.map(({ ref, result }) => ({
        t: ref.task,
        s: ref.subscription,
        r: result === undefined ? null : JSON.stringify(result),
      })),
    ),
  );
  const finished = new Set(done.map((d) => `${d.task_key}:${d.subscription}`));
  for (const d of done) {
    touchScope(changes, d.subscription, d.okey);
    changes.tasks.add(d.task_key);
  }
  for (const { ref } of items) {
    if (!finished.has(`${ref.task}:${ref.subscription}`)) countReport(db, ref, changes);
  }
}

/** Counts a report of a cancelled delivery's attempt; the last one moves its key on. */
function countReport(db: SubjectDb, ref: LocalRef, changes: Changes): void {
  const row = db.first<DeliveryRow>(
    `UPDATE deliveries SET reported = reported + 1 WHERE task_key = ? AND subscription = ?
       AND status = 'cancelled' AND reported < attempts RETURNING *`,
    ref.task,
    ref.subscription,
  );
  if (row && row.reported === row.attempts) touchScope(changes, row.subscription, row.okey);
}

/** What becomes of a failed attempt. */
export type FailDecision = { action: "retry"; delaySeconds: number } | { action: "dead" };

/**
 * Records a failed attempt and decides between a retry (with the policy's backoff, at least
 * `retryAfterSeconds`) and dead. A report beyond the attempts claimed (a stale copy's) counts
 * nothing; one for a delivery no longer pending answers dead (nothing more to do).
 */
export function fail(
  db: SubjectDb,
  ref: LocalRef,
  error: SerializedError,
  retryAfterSeconds: number,
  now: number,
  policy: RetryPolicy,
  visibilityMs: number,
  changes: Changes,
): FailDecision {
  const row = db.first<DeliveryRow>(
    "SELECT * FROM deliveries WHERE task_key = ? AND subscription = ?",
    ref.task,
    ref.subscription,
  );
  if (row?.status === "cancelled") countReport(db, ref, changes);
  if (row?.status !== "pending") return { action: "dead" };
  db.run(
    "UPDATE deliveries SET reported = reported + 1 WHERE task_key = ? AND subscription = ? AND reported < attempts",
    ref.task,
    ref.subscription,
  );
  // Name and details too: a client that registered the consumer's error class rebuilds it.
  const lastError: WireError = {
    code: error.code,
    message: error.message,
    ...(error.name ? { name: error.name } : {}),
    ...(error.details === undefined ? {} : { details: error.details }),
  };
  const decision = decideRetry(policy, Math.max(1, row.attempts), error);
  if (!decision.retry) {
    markDead(db, ref, lastError, now, changes);
    return { action: "dead" };
  }
  const delaySeconds = Math.max(Math.ceil(decision.delayMs / 1000), retryAfterSeconds);
  db.run(
    `UPDATE deliveries SET last_error = ?, expect_by = ?, updated_at = ? WHERE task_key = ? AND subscription = ?`,
    JSON.stringify(lastError),
    now + delaySeconds * 1000 + visibilityMs,
    now,
    ref.task,
    ref.subscription,
  );
  changes.tasks.add(ref.task);
  return { action: "retry", delaySeconds };
}

/**
 * Marks a pending delivery dead and records its dead letter, once per death (a record after a
 * replay and a new death renews it). A delivery that is not pending changes nothing.
 */
export function markDead(
  db: SubjectDb,
  ref: LocalRef,
  error: WireError,
  now: number,
  changes: Changes,
): boolean {
  const dead = db.first<DeliveryRow>(
    `UPDATE deliveries SET status = 'dead', last_error = ?, expect_by = NULL, updated_at = ?
     WHERE task_key = ? AND subscription = ? AND status = 'pending' RETURNING *`,
    JSON.stringify(error),
    now,
    ref.task,
    ref.subscription,
  );
  if (!dead) return false;
  db.run(
    `INSERT INTO dead_letters (id, task_key, subscription, error, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (task_key, subscription) DO UPDATE SET error = excluded.error, created_at = excluded.created_at,
       replayed_at = NULL, indexed = 0`,
    crypto.randomUUID(),
    ref.task,
    ref.subscription,
    dead.last_error,
    now,
  );
  touchScope(changes, dead.subscription, dead.okey);
  changes.tasks.add(ref.task);
  return true;
}

/**
 * Tombstones a task's pending deliveries. A scope moves on at once past a delivery with no
 * attempt running, and past one with attempts running once the last of them reports.
 */
export function cancelDeliveries(db: SubjectDb, taskKey: number, now: number, changes: Changes): void {
  const cancelled = db.all<DeliveryRow>(
    `UPDATE deliveries SET status = 'cancelled', expect_by = NULL, updated_at = ?
     WHERE task_key = ? AND status = 'pending' RETURNING *`,
    now,
    taskKey,
  );
  for (const d of cancelled) if (d.reported >= d.attempts) touchScope(changes, d.subscription, d.okey);
  changes.tasks.add(taskKey);
}

/** Cancels every pending delivery to a deleted subscription; returns how many. */
export function dropSubscription(db: SubjectDb, subscription: string, now: number, changes: Changes): number {
  const dropped = db.all<DeliveryRow>(
    `UPDATE deliveries SET status = 'cancelled', expect_by = NULL, updated_at = ?
     WHERE subscription = ? AND status = 'pending' RETURNING *`,
    now,
    subscription,
  );
  for (const d of dropped) changes.tasks.add(d.task_key);
  return dropped.length;
}

/**
 * Replays a dead delivery: back to pending with a fresh attempt count, in its place in its key's
 * sequence, and its dead letter marked replayed. False when it is not dead.
 */
export function replay(db: SubjectDb, ref: LocalRef, now: number, changes: Changes): boolean {
  const row = db.first<DeliveryRow>(
    `UPDATE deliveries SET status = 'pending', attempts = 0, reported = 0, last_error = NULL, sent_at = NULL,
       expect_by = NULL, due_at = ?, updated_at = ?
     WHERE task_key = ? AND subscription = ? AND status = 'dead' RETURNING *`,
    now,
    now,
    ref.task,
    ref.subscription,
  );
  if (!row) return false;
  db.run(
    "UPDATE dead_letters SET replayed_at = ?, indexed = 0 WHERE task_key = ? AND subscription = ?",
    now,
    ref.task,
    ref.subscription,
  );
  changes.tasks.add(ref.task);
  touchScope(changes, row.subscription, row.okey);
  return true;
}
