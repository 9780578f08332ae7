/**
 * One attempt on one pool worker: the timeout (counted from the moment the worker gets the
 * task, never from the queue), cancellation, and the grace period after which a handler that
 * ignores its abort signal loses its worker. Stopping asks first (the handler's `ctx.signal`
 * aborts) and kills only if asking did not work, so a cooperative handler never costs a worker.
 */

import { CancelledError, type ErrandError, serializeError, TimeoutError } from "@errand/core";
import type { ExecutionHooks, ExecutionOutcome, ExecutionRequest } from "../lifecycle/executor.ts";
import type { StopReason } from "../worker/protocol.ts";
import type { PoolWorker } from "./pool-worker.ts";

/**
 * Runs `request` as call number `call` on `worker` and resolves once the worker's slot is free
 * again: when the handler has settled, or when the worker was terminated after `graceMs`.
 * A successful reply wins over a stop that came too late to matter; any failure after a stop is
 * reported as that stop (`TimeoutError` or `CancelledError`).
 */
export async function runAttempt(
  worker: PoolWorker,
  call: number,
  request: ExecutionRequest,
  hooks: ExecutionHooks,
  signal: AbortSignal,
  graceMs: number,
): Promise<ExecutionOutcome> {
  if (signal.aborted) return failed(new CancelledError());
  let stopped: StopReason | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (reason: StopReason) => {
    if (stopped !== undefined) return;
    stopped = reason;
    worker.stop(call, reason);
    graceTimer = setTimeout(
      () => worker.terminate(`Task ${request.id} ignored its abort signal for ${graceMs} ms`, "killed"),
      graceMs,
    );
  };
  const { timeoutMs } = request;
  const timeoutTimer = timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
  const onAbort = () => stop("cancelled");
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const reply = await worker.run(
      {
        call,
        id: request.id,
        type: request.type,
        payload: request.payload,
        attempt: request.attempt,
        version: request.version,
      },
      request.transfer,
      // A stopped attempt is over for the page (cancelled, timed out): what the handler still
      // reports while it winds down would follow the task's cancel, as the main thread's never does.
      (value) => {
        if (stopped === undefined) hooks.progress(value);
      },
    );
    if (reply.ok || stopped === undefined) return reply;
    return failed(
      stopped === "timeout"
        ? new TimeoutError(`Task ${request.id} ran past its ${timeoutMs} ms timeout`)
        : new CancelledError(`Task ${request.id} was cancelled while it ran`),
    );
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** An outcome for an error raised on the page side. */
export function failed(error: ErrandError): ExecutionOutcome {
  return { ok: false, error: serializeError(error) };
}
