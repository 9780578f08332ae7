import type { SerializedError } from "@errand/core";

/**
 * The seam between the scheduler and whatever runs handlers. The scheduler claims at most
 * `freeSlots` tasks (backpressure), hands each to `execute`, and commits the outcome. The
 * main-thread executor and the Web Worker pool both implement it.
 */
export interface Executor {
  /** How many more tasks could start right now. */
  readonly freeSlots: number;
  /**
   * Runs one attempt. Never rejects: every failure (handler throw, timeout, crash, abort) is an
   * `{ ok: false }` outcome carrying a serialised error. The timeout counts from the start of
   * execution, not from the queue. Aborting `signal` cancels the attempt: the handler's own
   * signal aborts first, and a handler that ignores it is stopped after a grace period.
   */
  execute(request: ExecutionRequest, hooks: ExecutionHooks, signal: AbortSignal): Promise<ExecutionOutcome>;
  /** Calls `listener` whenever a slot frees up; returns the unsubscribe function. */
  onSlotFree(listener: () => void): () => void;
  /** Stops accepting work and releases resources (workers, timers). */
  close(): Promise<void>;
}

/** What the scheduler hands to an executor for one attempt. */
export interface ExecutionRequest {
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** The handler version the payload was stored with (see DESIGN.md, Versions). */
  readonly version: number;
  readonly timeoutMs?: number;
  /** Objects to transfer rather than copy (ephemeral tasks only). */
  readonly transfer?: readonly Transferable[];
}

/** Called by the executor while an attempt runs. */
export interface ExecutionHooks {
  progress(value: number): void;
}

/** The result of one attempt. */
export type ExecutionOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: SerializedError };

/** What a handler receives beside its payload, on the main thread or in a worker. */
export interface HandlerContext {
  readonly id: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  progress(value: number): void;
}
