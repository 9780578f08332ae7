/**
 * One Web Worker of the pool, from start to exit. It owns the two things comlink leaves out:
 * knowing when the worker is ready (its `expose` posted READY and took its lifetime lock) and
 * knowing when it died. Death is detected three ways: the worker's `error` event (a throw at load
 * or an uncaught error later), `messageerror`, and the Web Lock the worker holds for its life,
 * which the lock manager releases whenever its context ends, including `self.close()` and an
 * out-of-memory kill that fire no event. On exit every call still in flight settles with a
 * `WorkerCrashedError`, so no call waits on a dead worker.
 */

import { NonRetryableError, type SerializedError, serializeError, WorkerCrashedError } from "@errand/core";
import { proxy, type Remote, transfer, wrap } from "comlink";
import {
  isReadyMessage,
  type RunReply,
  type RunRequest,
  type StopReason,
  type WorkerApi,
} from "../worker/protocol.ts";

/** Why a pool worker exited: it died on its own, the pool killed it, or the pool retired it. */
export type ExitCause = "crashed" | "killed" | "retired";

/** What {@link PoolWorker} needs to start. */
export interface PoolWorkerOptions {
  readonly create: () => Worker;
  readonly startTimeoutMs: number;
  /** The crash message when the script does not load at all (see `load-failure.ts`). */
  readonly loadFailure: string;
}

/** One worker: start handshake, calls, stop requests, death detection. */
export class PoolWorker {
  /** Resolves when the worker can take calls; rejects with a `WorkerCrashedError` if it cannot. */
  readonly ready: Promise<void>;
  #worker: Worker | undefined;
  #run: Remote<WorkerApi>["run"] | undefined;
  #stop: Remote<WorkerApi>["stop"] | undefined;
  #isReady = false;
  #exit: { cause: ExitCause; error: WorkerCrashedError } | undefined;
  readonly #calls = new Map<number, Call>();
  readonly #exitListeners: Array<(cause: ExitCause) => void> = [];
  readonly #lockWait = new AbortController();
  readonly #exited: Promise<WorkerCrashedError>;
  #signalExit: (error: WorkerCrashedError) => void = () => {};

  constructor(options: PoolWorkerOptions) {
    this.#exited = new Promise((resolve) => {
      this.#signalExit = resolve;
    });
    this.ready = this.#start(options);
    // The pool awaits `ready` where it matters; this keeps an unobserved failure quiet.
    this.ready.catch(() => undefined);
  }

  /** Whether the worker has not exited. */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Whether the worker finished its start handshake and has not exited. */
  get isReady(): boolean {
    return this.#isReady && this.#exit === undefined;
  }

  /**
   * Runs one attempt. Never rejects: a handler's failure, a payload that cannot be cloned and the
   * worker's death all come back as `{ ok: false }`.
   */
  run(
    request: RunRequest,
    transferables: readonly Transferable[] | undefined,
    progress: (value: number) => void,
  ) {
    const run = this.#run;
    if (this.#exit !== undefined || run === undefined) {
      return Promise.resolve(
        crashReply(this.#exit?.error ?? new WorkerCrashedError("The worker is not ready")),
      );
    }
    return new Promise<RunReply>((resolve) => {
      this.#calls.set(request.call, { resolve, progress });
      const message =
        transferables !== undefined && transferables.length > 0
          ? transfer(request, [...transferables])
          : request;
      run(message).then(
        (reply) => this.#settle(request.call, reply),
        (error: unknown) => this.#settle(request.call, { ok: false, error: callError(error) }),
      );
    });
  }

  /** Aborts the handler's signal for `call`; the handler decides how fast it stops. */
  stop(call: number, reason: StopReason): void {
    this.#stop?.(call, reason).catch(() => undefined);
  }

  /** Terminates the worker; calls in flight settle with a `WorkerCrashedError` saying `why`. */
  terminate(why: string, cause: Exclude<ExitCause, "crashed">): void {
    this.#end(new WorkerCrashedError(why), cause);
  }

  /** Calls `listener` once, when the worker exits for any reason. */
  onExit(listener: (cause: ExitCause) => void): void {
    if (this.#exit !== undefined) listener(this.#exit.cause);
    else this.#exitListeners.push(listener);
  }

  async #start({ create, startTimeoutMs, loadFailure }: PoolWorkerOptions): Promise<void> {
    const crashed = (message: string) => this.#end(new WorkerCrashedError(message), "crashed");
    const timer = setTimeout(
      () => crashed(`The worker did not call expose() within ${startTimeoutMs} ms of starting`),
      startTimeoutMs,
    );
    try {
      const worker = create();
      this.#worker = worker;
      worker.addEventListener("error", (event) => {
        // Handled here: without preventDefault the page logs it as its own uncaught error.
        event.preventDefault();
        // A throw in the script is an ErrorEvent with a message; a script that did not load
        // (404, not JavaScript, a bundler's uncompiled asset) fires a bare Event.
        crashed(event.message ? `The worker threw: ${event.message}` : loadFailure);
      });
      worker.addEventListener("messageerror", () => crashed("A message from the worker could not be read"));
      await this.#race(
        new Promise<void>((resolve) => {
          const onMessage = (event: MessageEvent) => {
            if (!isReadyMessage(event.data)) return;
            worker.removeEventListener("message", onMessage);
            resolve();
          };
          worker.addEventListener("message", onMessage);
        }),
      );
      const remote = wrap<WorkerApi>(worker);
      this.#run = remote.run;
      this.#stop = remote.stop;
      const lockName = `errand-worker-${crypto.randomUUID()}`;
      const sink = proxy((call: number, value: number) => this.#calls.get(call)?.progress(value));
      const lockHeld = await this.#race(
        remote.init(typeof navigator.locks === "object" ? lockName : null, sink),
      );
      if (lockHeld) this.#watchLock(lockName);
      this.#isReady = true;
    } catch (error) {
      const failure =
        error instanceof WorkerCrashedError
          ? error
          : new WorkerCrashedError(`The worker could not be started: ${describe(error)}`, { cause: error });
      this.#end(failure, "crashed");
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits on the lock the worker holds for its life: it is granted once the worker is gone. */
  #watchLock(name: string): void {
    navigator.locks
      .request(name, { signal: this.#lockWait.signal }, () =>
        this.#end(
          new WorkerCrashedError("The worker stopped: it closed itself, ran out of memory or was killed"),
          "crashed",
        ),
      )
      .catch(() => undefined);
  }

  /** `promise`, or a rejection with the exit error as soon as the worker exits. */
  #race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([
      promise,
      this.#exited.then((error) => {
        throw error;
      }),
    ]);
  }

  #settle(call: number, reply: RunReply): void {
    const entry = this.#calls.get(call);
    if (entry === undefined) return;
    this.#calls.delete(call);
    entry.resolve(reply);
  }

  #end(error: WorkerCrashedError, cause: ExitCause): void {
    if (this.#exit !== undefined) return;
    this.#exit = { cause, error };
    this.#lockWait.abort();
    this.#worker?.terminate();
    const reply = crashReply(error);
    for (const call of [...this.#calls.keys()]) this.#settle(call, reply);
    this.#signalExit(error);
    for (const listener of this.#exitListeners.splice(0)) listener(cause);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface Call {
  resolve(reply: RunReply): void;
  progress(value: number): void;
}

function crashReply(error: WorkerCrashedError): RunReply {
  return { ok: false, error: serializeError(error) };
}

/** A call that comlink rejected: the request or the reply could not cross (not cloneable). */
function callError(error: unknown): SerializedError {
  if (error instanceof Error && (error.name === "DataCloneError" || /Unserializable/.test(error.message))) {
    return serializeError(
      new NonRetryableError(
        `The task's payload or result cannot be sent to or from a worker: ${error.message}`,
        {
          code: "not_cloneable",
          cause: error,
        },
      ),
    );
  }
  return serializeError(error);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
