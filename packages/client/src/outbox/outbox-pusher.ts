/**
 * One drain of the outbox: push every due task of the signed-in subject, in batches, until
 * nothing more is due, and say when to look again. I/O at the edges of the pure planner and
 * outcome rules (batch-planner.ts, push-outcome.ts).
 *
 * Cancels of sent tasks (`POST /v1/tasks/:id/cancel`) go out first, one at a time in the order
 * they were asked for; a task of an ordering key whose cancel is still unanswered (it failed and
 * waits for its retry) is not pushed, so the edge never hears of it before that cancel.
 *
 * Credentials: tasks and cancels go out only under their own subject's token. A `401` refreshes the token
 * once; a second `401`, or a token endpoint that refuses (4xx), pauses pushing until `resume()`
 * or the next start, instead of looping on a credential that will not work. A token endpoint
 * that cannot answer (network, 429, 5xx) pauses nothing: the tasks retry with backoff.
 *
 * Stopping (the endpoint's signal, aborted by `close()`) is no failure: the tasks in flight are
 * left exactly as they were and go out again on the next start, while an answer read whole
 * before the stop is still written.
 */

import { type Backoff, isErrandError } from "@errand/core";
import type { OnlineManager } from "../browser/online-manager.ts";
import { type OutboxCancel, type OutboxRecord, toWireTask } from "../lifecycle/outbox-record.ts";
import { decidePush } from "../lifecycle/push-outcome.ts";
import type { OutboxChange, OutboxStore } from "../stores/outbox-store.ts";
import { cancelTask, type EdgeEndpoint, submitTasks } from "../transport/edge-http.ts";
import type { EdgeToken, TokenSource } from "../transport/token-source.ts";
import { isStop } from "../utils/deadline.ts";
import { planBatches } from "./batch-planner.ts";
import { decideCancel } from "./cancel-outcome.ts";

/** What a drain ended with. */
export type DrainResult =
  | { readonly kind: "idle" }
  | { readonly kind: "waiting"; readonly until: number }
  | { readonly kind: "offline" }
  | { readonly kind: "paused"; readonly reason: "unauthorized" | "token_refused"; readonly subject?: string }
  /** The endpoint's signal aborted (the runtime closed); nothing in flight was changed. */
  | { readonly kind: "stopped" };

/** What the pusher works with. */
export interface PusherParts {
  readonly store: OutboxStore;
  readonly edge: EdgeEndpoint;
  readonly tokens: TokenSource;
  readonly online: OnlineManager;
  readonly backoff: Backoff;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Committed changes, for events. */
  readonly changed: (changes: readonly OutboxChange[]) => void;
}

/** Pushes the outbox; keeps the server's `Retry-After` hold between drains. */
export class OutboxPusher {
  readonly #p: PusherParts;
  #holdUntil = 0;

  constructor(parts: PusherParts) {
    this.#p = parts;
  }

  /**
   * Pushes until nothing is due. `probe` pushes even when the online manager says offline
   * because a request failed (a timer's retry is how an unreachable edge is found reachable
   * again), but never while the browser is offline or the app forced it offline.
   */
  async drain(probe = false): Promise<DrainResult> {
    const { store, edge, online } = this.#p;
    for (;;) {
      if (!online.isOnline() && !(probe && online.mayProbe())) return { kind: "offline" };
      const now = edge.now();
      if (this.#holdUntil > now) return { kind: "waiting", until: this.#holdUntil };
      let token: EdgeToken;
      try {
        token = await this.#p.tokens.get();
      } catch (error) {
        if (isStop(edge, error)) return { kind: "stopped" };
        if (isErrandError(error) && !error.retryable) return { kind: "paused", reason: "token_refused" };
        return { kind: "waiting", until: now + 5_000 };
      }
      const cancels = await this.#sendCancels(token);
      if (cancels === "stopped") return { kind: "stopped" };
      if (cancels === "paused") return { kind: "paused", reason: "unauthorized", subject: token.subject };
      const plan = planBatches(await store.inState(token.subject, "pending"), now, cancels.busyKeys);
      if (plan.tooLarge.length > 0) await this.#rejectTooLarge(plan.tooLarge, now);
      if (plan.batches.length === 0) {
        const until = Math.min(plan.nextRunAt ?? Infinity, cancels.nextRunAt ?? Infinity);
        return Number.isFinite(until) ? { kind: "waiting", until } : { kind: "idle" };
      }
      const outcomes = await inParallel(plan.batches, this.#p.concurrency, (batch) =>
        this.#send(batch, token),
      );
      const paused = outcomes.find((o) => o === "paused");
      if (paused !== undefined) return { kind: "paused", reason: "unauthorized", subject: token.subject };
      if (outcomes.includes("stopped")) return { kind: "stopped" };
      if (outcomes.includes("unreachable")) {
        const pendingDue = nextDue(await store.inState(token.subject, "pending"));
        const until = Math.min(pendingDue, cancels.nextRunAt ?? Number.POSITIVE_INFINITY);
        return Number.isFinite(until) ? { kind: "waiting", until } : { kind: "idle" };
      }
      probe = false;
    }
  }

  async #send(
    batch: readonly OutboxRecord[],
    token: EdgeToken,
    refreshed = false,
  ): Promise<"ok" | "paused" | "unreachable" | "stopped"> {
    const { edge, online, store } = this.#p;
    const response = await submitTasks(edge, token.token, batch.map(toWireTask));
    if (response.kind === "network") online.reportUnreachable();
    else if (response.kind !== "stopped") online.reportReachable();
    const decision = decidePush(batch, response, { now: edge.now(), backoff: this.#p.backoff });
    if (decision.stopped) return "stopped";
    if (decision.unauthorized) {
      if (refreshed) return "paused";
      let fresh: EdgeToken;
      try {
        fresh = await this.#p.tokens.refresh();
      } catch (error) {
        if (isStop(edge, error)) return "stopped";
        if (isErrandError(error) && !error.retryable) return "paused";
        // The token endpoint is down or busy, which says nothing about the credential: retry.
        await this.#retryLater(batch, error);
        return "unreachable";
      }
      // A token for someone else must never carry this subject's tasks.
      if (fresh.subject !== token.subject) return "paused";
      return this.#send(batch, fresh, true);
    }
    if (decision.split) {
      const half = Math.ceil(batch.length / 2);
      const first = await this.#send(batch.slice(0, half), token, refreshed);
      const second = await this.#send(batch.slice(half), token, refreshed);
      return first !== "ok" ? first : second;
    }
    if (decision.holdUntil !== undefined) this.#holdUntil = Math.max(this.#holdUntil, decision.holdUntil);
    const changes = await store.apply(decision.changes);
    if (changes.length > 0) this.#p.changed(changes);
    return response.kind === "network" ? "unreachable" : "ok";
  }

  /**
   * Sends the subject's due cancels in order. Returns the ordering keys whose cancel is still
   * waiting (their tasks must not be pushed yet) and when the first of those cancels is due.
   */
  async #sendCancels(
    token: EdgeToken,
  ): Promise<{ busyKeys: Set<string>; nextRunAt?: number } | "paused" | "stopped"> {
    const busyKeys = new Set<string>();
    let nextRunAt: number | undefined;
    for (const record of await this.#p.store.withCancels(token.subject)) {
      const now = this.#p.edge.now();
      let waiting: OutboxCancel | undefined = record.cancel;
      if (waiting !== undefined && waiting.runAt <= now && this.#holdUntil <= now) {
        const sent = await this.#sendCancel(record, token);
        if (sent === "paused" || sent === "stopped") return sent;
        waiting = sent;
      }
      if (waiting === undefined) continue;
      if (record.orderingKey !== undefined) busyKeys.add(record.orderingKey);
      nextRunAt = Math.min(nextRunAt ?? Infinity, Math.max(waiting.runAt, this.#holdUntil));
    }
    return nextRunAt === undefined ? { busyKeys } : { busyKeys, nextRunAt };
  }

  /** Sends one cancel; returns the cancel still waiting after the answer, if any. */
  async #sendCancel(
    record: OutboxRecord,
    token: EdgeToken,
    refreshed = false,
  ): Promise<OutboxCancel | undefined | "paused" | "stopped"> {
    const { edge, online, store } = this.#p;
    let response = await cancelTask(edge, token.token, record.id);
    if (response.kind === "network") online.reportUnreachable();
    else if (response.kind !== "stopped") online.reportReachable();
    let decision = decideCancel(record, response, { now: edge.now(), backoff: this.#p.backoff });
    if (decision.stopped) return "stopped";
    if (decision.unauthorized) {
      if (refreshed) return "paused";
      try {
        const fresh = await this.#p.tokens.refresh();
        // A token for someone else must never carry this subject's cancels.
        return fresh.subject === token.subject ? this.#sendCancel(record, fresh, true) : "paused";
      } catch (error) {
        if (isStop(edge, error)) return "stopped";
        if (isErrandError(error) && !error.retryable) return "paused";
        const message = error instanceof Error ? error.message : String(error);
        response = { kind: "network", message: `No fresh token: ${message}` };
        decision = decideCancel(record, response, { now: edge.now(), backoff: this.#p.backoff });
      }
    }
    if (decision.holdUntil !== undefined) this.#holdUntil = Math.max(this.#holdUntil, decision.holdUntil);
    if (decision.event === undefined) return record.cancel;
    const changes = await store.apply([{ id: record.id, event: decision.event }]);
    if (changes.length > 0) this.#p.changed(changes);
    return changes[0]?.after.cancel;
  }

  /** Puts `batch` back with backoff after a failure that was neither the edge's nor the task's. */
  async #retryLater(batch: readonly OutboxRecord[], error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const decision = decidePush(
      batch,
      { kind: "network", message: `No fresh token: ${message}` },
      { now: this.#p.edge.now(), backoff: this.#p.backoff },
    );
    const changes = await this.#p.store.apply(decision.changes);
    if (changes.length > 0) this.#p.changed(changes);
  }

  async #rejectTooLarge(records: readonly OutboxRecord[], now: number): Promise<void> {
    const changes = await this.#p.store.apply(
      records.map((r) => ({
        id: r.id,
        event: {
          type: "reject" as const,
          now,
          error: {
            name: "ErrandError",
            code: "message_too_large",
            message: `The payload of task ${r.id} is over the contract's message limit`,
            retryable: false,
          },
        },
      })),
    );
    if (changes.length > 0) this.#p.changed(changes);
  }
}

/** Default number of requests in flight: enough to hide latency, few enough not to be a burst. */
export const DEFAULT_PUSH_CONCURRENCY = 4;

async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

function nextDue(pending: readonly OutboxRecord[]): number {
  return pending.reduce((soonest, r) => Math.min(soonest, r.runAt), Number.POSITIVE_INFINITY);
}
