/**
 * The subject's object: a SQLite-backed Durable Object per (tenant, subject) holding that
 * subject's hot state (tasks, deliveries, statuses, ordering heads, outcomes, dedupe, dead
 * letters) and its live sockets. Nothing on a task's path is shared with other subjects.
 *
 * - Ingest stores a batch and its deliveries in one transaction, answers, and sends each
 *   ordering scope's head to its delivery queue, the webhook queue or the live sockets.
 * - The outbox is the `deliveries` table itself: a head never sent (the send failed, the isolate
 *   died) and a head sent with no news past its time (a lost queue message, a consumer that died)
 *   are sent again by the object's alarm, keeping their backoff. So a 2xx means the task will be
 *   delivered, whatever happens to a send.
 * - Consumers claim and report here (through the API's `ConsumerApi`), and each report moves its
 *   ordering scope on within the object.
 * - The alarm also feeds the tenant-wide views in D1 (the task index for admin reads by id, dead
 *   letters, stats), removes finished tasks past retention, and deletes the object's storage when
 *   nothing is left, so an idle subject costs nothing.
 */
import { DurableObject } from "cloudflare:workers";
import type { JsonValue, SerializedError } from "@errand/core";
import type { SubmitItemResult, TaskView, WireError } from "@errand/core/wire";
import type { Claim, DeliveryRef } from "@errand/edge";
import { RateWindows } from "../auth/rate-limit.ts";
import { deliveryPolicy } from "../queues/delivery-policy.ts";
import type { Changes, FailDecision, LocalRef } from "./deliveries.ts";
import * as deliveries from "./deliveries.ts";
import type { Hub } from "./hub.ts";
import { LiveSockets, type SocketCredential } from "./live-sockets.ts";
import { sendDeliveries } from "./send-deliveries.ts";
import type { SubjectIdentity } from "./subject-feed.ts";
import * as feed from "./subject-feed.ts";
import { type DeliveryRow, SCHEMA, type SqlMeter, SubjectDb } from "./subject-schema.ts";
import * as tasks from "./subject-tasks.ts";

export type { SubjectIdentity, SubjectStats } from "./subject-feed.ts";

/** How long an object with no admin socket to tell stops forwarding to the tenant hub. */
const HUB_QUIET_MS = 10_000;

/** One subject's object (named `JSON.stringify([tenant, subject])`: see subject-ref.ts). */
export class Subject extends DurableObject<Env> {
  readonly #db: SubjectDb;
  readonly #sockets: LiveSockets;
  #identity: SubjectIdentity | undefined;
  #alarmAt: number | null | undefined;
  #hubQuietUntil = 0;
  readonly #rate = new RateWindows();
  #hub: DurableObjectStub<Hub> | undefined;
  /** Whether the tenant-wide views in D1 lag this object's state. */
  #dirty = false;
  /** When this object's stats row may be fed again (its query scans the object). */
  #statsDueAt = 0;
  /** Requests served by this instance (the benchmark's cost figures). */
  #requests = 0;
  /**
   * Whether this object has storage. Only ingest and a ticket create it; a read or a report
   * reaching an object that holds nothing answers so without writing anything.
   */
  #created: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = new SubjectDb(ctx.storage.sql);
    this.#sockets = new LiveSockets(ctx);
    this.#created =
      this.#db.first<{ n: number }>(
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'tasks'",
      )?.n === 1;
  }

  #create(): void {
    if (this.#created) return;
    for (const statement of SCHEMA) this.ctx.storage.sql.exec(statement);
    // Task keys of a new incarnation start past any an earlier one (deleted when it emptied) can
    // have used, so a stale delivery message never names a new task.
    this.ctx.storage.sql.exec(
      "INSERT INTO sqlite_sequence (name, seq) SELECT 'tasks', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tasks')",
      Date.now() * 1000,
    );
    this.#sockets.createTables();
    this.#created = true;
  }

  /**
   * Stores a batch of tasks the caller may publish to existing topics (planned against what this
   * object holds) and sends the ones that head their scope. One result per item, in order.
   * `failSend` (the test environment's fault layer only) fails the send, as if the isolate died
   * between the commit and the send. With `limit`, the call is first charged to the subject's
   * request limit ({@link charge}); when it is spent, nothing is stored and the answer says how
   * long to wait.
   */
  async ingest(
    who: SubjectIdentity,
    input: tasks.IngestInput,
    options: { failSend?: boolean; limit?: number } = {},
  ): Promise<SubmitItemResult[] | { retryAfter: number }> {
    if (options.limit !== undefined) {
      const retryAfter = this.charge(options.limit);
      if (retryAfter !== undefined) return { retryAfter };
    } else this.#requests++;
    this.#create();
    this.#identify(who);
    const now = Date.now();
    const changes = deliveries.noChanges();
    const { results, sendable } = this.ctx.storage.transactionSync(() => {
      const { results, stored } = tasks.storeIngest(this.#db, input, now, {
        graceMs: this.#visibilityMs(),
        indexed: who.subject !== "",
      });
      for (const key of stored) changes.tasks.add(key);
      if (stored.length > 0) this.#dirty = true;
      return { results, sendable: deliveries.unsentHeadsOf(this.#db, stored, now) };
    });
    const failSend = options.failSend === true && this.env.FAULTS === "1";
    await this.#settle(changes, failSend ? [] : sendable);
    return results;
  }

  /** May these deliveries run now? Counts the attempt of each that may. */
  async claim(refs: DeliveryRef[]): Promise<Claim[]> {
    this.#requests++;
    const identity = this.#created ? this.#who() : undefined;
    if (!identity) return refs.map(() => ({ action: "skip", reason: "unknown" }));
    const now = Date.now();
    const changes = deliveries.noChanges();
    const claims = this.ctx.storage.transactionSync(() =>
      deliveries.claim(
        this.#db,
        refs.map(local),
        now,
        {
          maxAttempts: deliveryPolicy(this.env).maxAttempts,
          attemptMs: seconds(this.env.DELIVERY_ATTEMPT_SECONDS, 900) * 1000,
          object: this.ctx.id.toString(),
          ...identity,
        },
        changes,
      ),
    );
    await this.#settle(changes);
    return claims;
  }

  /** These deliveries succeeded, each with its handler's result if any. */
  async complete(items: { ref: DeliveryRef; result?: JsonValue }[]): Promise<void> {
    this.#requests++;
    if (!this.#created) return;
    const changes = deliveries.noChanges();
    this.ctx.storage.transactionSync(() =>
      deliveries.complete(
        this.#db,
        items.map(({ ref, result }) => ({ ref: local(ref), ...(result === undefined ? {} : { result }) })),
        Date.now(),
        changes,
      ),
    );
    await this.#settle(changes);
  }

  /** An attempt failed: retry after the returned delay, or the delivery is dead. */
  async fail(ref: DeliveryRef, error: SerializedError, retryAfterSeconds = 0): Promise<FailDecision> {
    this.#requests++;
    if (!this.#created) return { action: "dead" };
    const changes = deliveries.noChanges();
    const decision = this.ctx.storage.transactionSync(() =>
      deliveries.fail(
        this.#db,
        local(ref),
        error,
        retryAfterSeconds,
        Date.now(),
        deliveryPolicy(this.env),
        this.#visibilityMs(),
        changes,
      ),
    );
    await this.#settle(changes);
    return decision;
  }

  /** Marks a delivery dead (the platform gave up redelivering it); true when it was pending. */
  async markDead(ref: DeliveryRef, error: WireError): Promise<boolean> {
    this.#requests++;
    if (!this.#created) return false;
    const changes = deliveries.noChanges();
    const dead = this.ctx.storage.transactionSync(() =>
      deliveries.markDead(this.#db, local(ref), error, Date.now(), changes),
    );
    await this.#settle(changes);
    return dead;
  }

  /**
   * Charges one request of this subject against its limit (requests a minute, every token of
   * the subject alike); the seconds to wait when spent, else undefined. Counted in memory: an
   * object idle long enough to be evicted has no window still open worth keeping.
   */
  charge(limit: number): number | undefined {
    this.#requests++;
    return this.#rate.charge([{ key: "subject", limit }]);
  }

  /** Views of tasks by id, in the order asked; unknown ids left out. */
  views(ids: string[]): TaskView[] {
    this.#requests++;
    if (!this.#created) return [];
    return tasks.viewsByIds(this.#db, ids);
  }

  /** The topic of a task, if this object holds it. */
  topicOf(id: string): string | undefined {
    this.#requests++;
    if (!this.#created) return undefined;
    return tasks.findTask(this.#db, id)?.topic;
  }

  /** Cancels a task by id; with the task's view when found. */
  async cancel(id: string): Promise<{ outcome: tasks.CancelOutcome; view?: TaskView }> {
    this.#requests++;
    if (!this.#created) return { outcome: "not_found" };
    const now = Date.now();
    const changes = deliveries.noChanges();
    const outcome = this.ctx.storage.transactionSync(() => {
      const found = tasks.findTask(this.#db, id);
      return found ? tasks.cancelTask(this.#db, found.key, now, changes) : "not_found";
    });
    if (outcome === "cancelled") this.#dirty = true;
    await this.#settle(changes);
    const [view] = tasks.viewsByIds(this.#db, [id]);
    return view ? { outcome, view } : { outcome };
  }

  /** Replays a dead delivery; false when it is not dead here. */
  async replay(task: number, subscription: string): Promise<boolean> {
    this.#requests++;
    if (!this.#created) return false;
    const changes = deliveries.noChanges();
    const now = Date.now();
    const { replayed, heads } = this.ctx.storage.transactionSync(() => {
      const replayed = deliveries.replay(this.#db, { task, subscription }, now, changes);
      const heads = replayed ? deliveries.unsentHeadsOf(this.#db, [task], now) : [];
      deliveries.intendToSend(this.#db, heads, now, this.#visibilityMs());
      return { replayed, heads };
    });
    if (replayed) this.#dirty = true;
    await this.#settle(changes, heads);
    return replayed;
  }

  /** Cancels the pending deliveries of a deleted subscription. */
  async dropSubscription(subscription: string): Promise<number> {
    this.#requests++;
    if (!this.#created) return 0;
    const changes = deliveries.noChanges();
    const dropped = this.ctx.storage.transactionSync(() =>
      deliveries.dropSubscription(this.#db, subscription, Date.now(), changes),
    );
    await this.#settle(changes);
    return dropped;
  }

  /** Records a one-use ticket for a socket of this subject's token. */
  issueTicket(
    who: SubjectIdentity,
    ticket: string,
    expiresAt: number,
    credential: SocketCredential,
  ): boolean {
    this.#requests++;
    this.#create();
    this.#identify(who);
    return this.#sockets.issueTicket(ticket, expiresAt, credential);
  }

  /** Opens this subject's socket with a ticket. */
  override async fetch(request: Request): Promise<Response> {
    this.#requests++;
    this.#create();
    const { response, expiresAt } = this.#sockets.accept(request);
    if (expiresAt !== undefined) await this.#armAt(expiresAt);
    return response;
  }

  /**
   * The outbox, the feed and the retention: sends what is overdue, brings the tenant-wide views
   * up to date, purges finished tasks past retention, closes expired sockets, and deletes the
   * object's storage when nothing is left in it.
   */
  override async alarm(): Promise<void> {
    this.#requests++;
    this.#alarmAt = null;
    if (!this.#created) return;
    const now = Date.now();
    const due = this.ctx.storage.transactionSync(() => {
      const rows = deliveries.overdue(this.#db, now);
      deliveries.intendToSend(this.#db, rows, now, this.#visibilityMs());
      return rows;
    });
    await this.#settle(deliveries.noChanges(), due);
    const identity = this.#who();
    const retained = now - seconds(this.env.RETENTION_DAYS, 7) * 86_400_000;
    if (identity && (await feed.purgeExpired(this.#feedTarget(identity), retained))) this.#dirty = true;
    this.#sockets.closeExpired(now);
    if (identity && this.#dirty) {
      const withStats = now >= this.#statsDueAt;
      const fed = await feed.feedViews(this.#feedTarget(identity), withStats);
      if (withStats && fed !== "failed") this.#statsDueAt = now + seconds(this.env.STATS_SECONDS, 10) * 1000;
      // Still to feed: a full batch's rest, a failed batch, or stats not due yet.
      this.#dirty = fed !== "done" || !withStats;
    }
    if (this.#empty()) {
      await this.#forget();
      return;
    }
    await this.#arm();
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    this.#sockets.message(socket, message);
  }

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    this.#sockets.close(socket, code, reason);
  }

  /** Rows read and written and requests served by this instance (for the cost benchmark). */
  usage(): SqlMeter & { requests: number } {
    return { ...this.#db.meter, requests: this.#requests };
  }

  /** Dev only: per delivered delivery, ms from its payload's `sentAt` to its completion. */
  latencies(): number[] {
    if (!this.#created) return [];
    return this.#db
      .all<{ latency: number | null }>(
        `SELECT d.updated_at - (t.payload ->> '$.sentAt') AS latency FROM deliveries d JOIN tasks t ON t.key = d.task_key
         WHERE d.status = 'delivered'`,
      )
      .flatMap((r) => (r.latency === null ? [] : [r.latency]));
  }

  /** Dev and tests: runs the alarm's work now. */
  async repairNow(): Promise<void> {
    await this.alarm();
  }

  /**
   * After a committed change (call it with no await in between): picks each changed scope's
   * next delivery and records the intent to send it, arms the alarm (so a send that never
   * happens is found), sends, and records the sends. A `live` delivery is delivered as it is
   * sent, which may make its scope's next task sendable: repeated until nothing more is. Then
   * tells live sessions and arms the alarm for what comes next.
   */
  async #settle(changes: Changes, picked: readonly DeliveryRow[] = []): Promise<void> {
    const visibility = this.#visibilityMs();
    const pickNext = () => {
      const now = Date.now();
      const rows = deliveries.nextInScopes(this.#db, changes.scopes.values(), now);
      deliveries.intendToSend(this.#db, rows, now, visibility);
      changes.scopes.clear();
      return rows;
    };
    let sendable = [...picked, ...this.ctx.storage.transactionSync(pickNext)];
    const views = new Map<string, TaskView>();
    for (let round = 0; ; round++) {
      if (sendable.length > 0) await this.#arm();
      const sent =
        sendable.length === 0 ? [] : await sendDeliveries(this.env, sendable, this.ctx.id.toString());
      const next = this.ctx.storage.transactionSync(() => {
        deliveries.markSent(this.#db, sent, Date.now(), visibility, changes);
        for (const view of tasks.refresh(this.#db, changes, Date.now())) views.set(view.id, view);
        changes.tasks.clear();
        return pickNext();
      });
      if (next.length === 0 || round > 100) break;
      sendable = next;
    }
    if (views.size > 0) {
      this.#dirty = true;
      this.#publish([...views.values()]);
    }
    await this.#arm();
  }

  /** Tells this subject's sockets, and the tenant hub's admin sockets while it has any. */
  #publish(views: TaskView[]): void {
    this.#sockets.publish(views);
    const identity = this.#who();
    if (!identity || Date.now() < this.#hubQuietUntil) return;
    // Off the caller's path: the answer to an ingest or a report does not wait for the hub.
    // One stub for every forward, so they reach the hub in the order they were made.
    this.#hub ??= this.env.HUB.get(this.env.HUB.idFromName(identity.tenant));
    this.ctx.waitUntil(
      this.#hub
        .publish(views)
        .then((listeners) => {
          if (listeners === 0) this.#hubQuietUntil = Date.now() + HUB_QUIET_MS;
        })
        .catch((error: unknown) => console.warn("errand-api: forwarding to the tenant hub failed", error)),
    );
  }

  /** Nothing left: no task, no dead letter, no socket. */
  #empty(): boolean {
    return (
      this.#db.first<{ n: number }>(
        "SELECT (SELECT COUNT(*) FROM tasks) + (SELECT COUNT(*) FROM dead_letters) AS n",
      )?.n === 0 && this.#sockets.count() === 0
    );
  }

  /** Deletes this object's storage and its stats row: an idle subject costs nothing at rest. */
  async #forget(): Promise<void> {
    const identity = this.#who();
    if (identity) await feed.dropStats(this.#feedTarget(identity));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#identity = undefined;
    this.#alarmAt = null;
    this.#created = false;
  }

  #feedTarget(identity: SubjectIdentity): feed.FeedTarget {
    return {
      env: this.env,
      db: this.#db,
      transaction: (fn) => this.ctx.storage.transactionSync(fn),
      identity,
      object: this.ctx.id.toString(),
    };
  }

  /** Arms the alarm for the next thing to do: a send, a report overdue, the feed, a purge. */
  async #arm(): Promise<void> {
    const now = Date.now();
    const candidates = [deliveries.nextWatch(this.#db)];
    if (this.#dirty) candidates.push(now + seconds(this.env.FEED_SECONDS, 2) * 1000);
    const finished = tasks.oldestFinished(this.#db);
    if (finished !== undefined)
      candidates.push(finished + seconds(this.env.RETENTION_DAYS, 7) * 86_400_000 + 1000);
    candidates.push(this.#sockets.closeExpired(now));
    const next = Math.min(...candidates.filter((at): at is number => at !== undefined));
    if (Number.isFinite(next)) await this.#armAt(next);
  }

  async #armAt(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  #identify(who: SubjectIdentity): void {
    if (this.#identity) return;
    const stored = this.#who();
    if (stored) return;
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO meta (name, value) VALUES ('tenant', ?), ('subject', ?)",
      who.tenant,
      who.subject,
    );
    this.#identity = who;
  }

  #who(): SubjectIdentity | undefined {
    if (this.#identity) return this.#identity;
    const meta = this.#db.all<{ name: string; value: string }>("SELECT name, value FROM meta");
    const tenant = meta.find((m) => m.name === "tenant")?.value;
    const subject = meta.find((m) => m.name === "subject")?.value;
    if (tenant === undefined || subject === undefined) return undefined;
    this.#identity = { tenant, subject };
    return this.#identity;
  }

  #visibilityMs(): number {
    return seconds(this.env.DELIVERY_VISIBILITY_SECONDS, 30) * 1000;
  }
}

function local(ref: DeliveryRef): LocalRef {
  return { task: ref.task, subscription: ref.subscription };
}

function seconds(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
}
