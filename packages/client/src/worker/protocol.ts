/**
 * The messages between the pool (page) and a worker that called `expose`. Calls go through
 * comlink (`WorkerApi` is what the worker exposes); the one message outside comlink is
 * `ReadyMessage`, which the worker posts once its handlers are registered, so the pool never
 * sends a call into a module that is still loading (or awaiting at its top level) and would drop it.
 */

import type { SerializedError } from "@errand/core";

/** Tag of {@link ReadyMessage}; comlink ignores messages without an `id`, so the two never mix. */
export const READY = "errand:ready";

/** Posted by the worker when `expose` has run. */
export interface ReadyMessage {
  readonly type: typeof READY;
}

/** Whether a message from a worker is its {@link ReadyMessage}. */
export function isReadyMessage(data: unknown): data is ReadyMessage {
  return typeof data === "object" && data !== null && (data as { type?: unknown }).type === READY;
}

/** One attempt, as the worker receives it. `call` is unique per pool worker, unlike the task id. */
export interface RunRequest {
  readonly call: number;
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
  readonly attempt: number;
  readonly version: number;
}

/** How an attempt ended inside the worker; a handler's throw is data here, never a rejection. */
export type RunReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: SerializedError };

/** Why the pool asks a handler to stop. */
export type StopReason = "timeout" | "cancelled";

/** Receives `ctx.progress(value)` from the worker, on the page; one per worker, not per call. */
export type ProgressSink = (call: number, value: number) => unknown;

/** What a worker exposes through comlink. */
export interface WorkerApi {
  /**
   * Takes the progress sink and, when `lockName` is given, holds that Web Lock until the worker's
   * context dies; resolves once the lock is held (true), so the pool can then wait on the same
   * name, or false when this context has no Web Locks.
   */
  init(lockName: string | null, progress: ProgressSink): Promise<boolean>;
  run(request: RunRequest): Promise<RunReply>;
  /** Aborts the handler's `ctx.signal` for `call`; a call that already ended is ignored. */
  stop(call: number, reason: StopReason): void;
}
