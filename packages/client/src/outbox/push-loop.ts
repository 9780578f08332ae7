/**
 * Who pushes, and when. Only one context of an origin pushes at a time: the one holding the
 * Web Lock `errand:<db>:sync`; when its tab closes the browser releases the lock and the next
 * waiting tab takes over (where Web Locks are missing, every context leads). The leader drains
 * when woken (an enqueue here or in another tab), within a tick of the network coming back
 * (the `online` event, not a poll: Workbox replayed minutes late, workbox#3335), and at the
 * time the drain asked for (a retry's backoff, a `Retry-After`).
 */

import type { DrainResult } from "./outbox-pusher.ts";

/** What the loop runs while it leads. */
export interface LeaderWork {
  /** One drain; `probe` when a timer, not an event, started it. */
  readonly drain: (probe: boolean) => Promise<DrainResult>;
  /** Called when this context becomes leader, and with the cleanup to run when it stops leading. */
  readonly lead: () => () => void;
  /** Every drain's result (for `sync.state`). */
  readonly report: (result: DrainResult) => void;
  /** A drain that threw (storage gone): reported, then retried later. */
  readonly failed: (error: unknown) => void;
}

/** A running push loop. */
export interface PushLoop {
  /** Drain soon (new tasks, network back). */
  wake(): void;
  /** Whether this context leads now. */
  readonly leading: boolean;
  /** Stops leading (releases the lock) once the drain in progress ends. */
  close(): Promise<void>;
}

/** Longest sleep between drains while leading: a safety net, not the trigger. */
const MAX_SLEEP_MS = 30_000;
/** Wait after a drain that threw. */
const FAILED_SLEEP_MS = 5_000;

/**
 * Starts competing for the lock `lockName` and, while held, drains in a loop.
 *
 * @example
 * ```ts
 * const loop = startPushLoop("errand:app:sync", { drain, lead, report, failed });
 * online.subscribe((up) => up && loop.wake());
 * ```
 */
export function startPushLoop(lockName: string, work: LeaderWork): PushLoop {
  let closed = false;
  let leading = false;
  let woken = false;
  let alarm: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (woken || closed) {
        resolve(false);
        return;
      }
      timer = setTimeout(() => resolve(true), Math.max(0, Math.min(ms, MAX_SLEEP_MS)));
      alarm = () => resolve(false);
    }).finally(() => {
      clearTimeout(timer);
      alarm = undefined;
    });

  const lead = async () => {
    leading = true;
    const stop = work.lead();
    let probe = false;
    try {
      while (!closed) {
        woken = false;
        let wait: number;
        try {
          const result = await work.drain(probe);
          work.report(result);
          wait = result.kind === "waiting" ? result.until - Date.now() : MAX_SLEEP_MS;
        } catch (error) {
          work.failed(error);
          wait = FAILED_SLEEP_MS;
        }
        probe = await sleep(wait);
      }
    } finally {
      leading = false;
      stop();
    }
  };

  const locks = globalThis.navigator?.locks;
  const abort = new AbortController();
  const done: Promise<unknown> =
    locks === undefined
      ? lead()
      : locks.request(lockName, { signal: abort.signal }, () => (closed ? undefined : lead()));
  done.catch(() => {});

  return {
    wake() {
      woken = true;
      alarm?.();
    },
    get leading() {
      return leading;
    },
    async close() {
      closed = true;
      alarm?.();
      // A context still waiting for the lock gives up its place in line.
      if (!leading) abort.abort();
      await done.catch(() => {});
    },
  };
}
