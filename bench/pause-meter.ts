// Pause meter: how much of a benchmark's wall time this machine was not running at all. A
// worker thread sleeps 5 ms at a time and records every wake-up that comes over 50 ms late;
// with nothing to contend with in that thread, a late wake-up means the whole machine (here a VM
// whose vCPUs the host pauses for 0.1–1.4 s at a time) stood still. Benchmarks print the pauses
// inside each measured window beside their figures, so a reader can tell a slow run from a
// paused one.
import { Worker } from "node:worker_threads";

/** Pauses (start, length in ms, on `performance.now()`'s clock of this process) since start. */
export interface PauseMeter {
  /** Milliseconds of pause inside [from, to], both `performance.now()` readings. */
  pausedMs(from: number, to: number): number;
  /** "paused 41% of 20.3 s (37 pauses, longest 1,120 ms)" for [from, to]. */
  describe(from: number, to: number): string;
  stop(): Promise<void>;
}

const TICK_MS = 5;
const LATE_MS = 50;
const SLOTS = 4096;

/** The thread's body: writes [start, length] pairs to `pauses`, their count to `count[0]`. */
const THREAD = `
const { workerData } = require("node:worker_threads");
const { pauses, count, stop, tick, late, origin } = workerData;
const now = () => performance.timeOrigin + performance.now() - origin;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let last = now();
while (Atomics.load(stop, 0) === 0) {
  Atomics.wait(sleeper, 0, 0, tick);
  const t = now();
  const over = t - last - tick;
  if (over > late) {
    const i = Atomics.load(count, 0);
    if (i < pauses.length / 2) {
      pauses[2 * i] = last + tick;
      pauses[2 * i + 1] = over;
      Atomics.store(count, 0, i + 1);
    }
  }
  last = t;
}
`;

/** Starts measuring; call `stop()` when the benchmark ends. */
export function startPauseMeter(): PauseMeter {
  const pauses = new Float64Array(new SharedArrayBuffer(SLOTS * 2 * 8));
  const count = new Int32Array(new SharedArrayBuffer(4));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  // The thread reports on this process's performance.now() clock.
  const origin = performance.timeOrigin;
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { pauses, count, stop, tick: TICK_MS, late: LATE_MS, origin },
  });
  worker.unref();
  const inside = (from: number, to: number) => {
    const found: number[] = [];
    const n = Atomics.load(count, 0);
    for (let i = 0; i < n; i++) {
      const start = pauses[2 * i] ?? 0;
      const end = start + (pauses[2 * i + 1] ?? 0);
      const overlap = Math.min(end, to) - Math.max(start, from);
      if (overlap > 0) found.push(overlap);
    }
    return found;
  };
  return {
    pausedMs: (from, to) => inside(from, to).reduce((a, b) => a + b, 0),
    describe(from, to) {
      const found = inside(from, to);
      const total = found.reduce((a, b) => a + b, 0);
      const share = Math.round((total / Math.max(1, to - from)) * 100);
      const longest = Math.round(Math.max(0, ...found)).toLocaleString("en-US");
      return `paused ${share}% of ${((to - from) / 1000).toFixed(1)} s (${found.length} pauses, longest ${longest} ms)`;
    },
    async stop() {
      Atomics.store(stop, 0, 1);
      await worker.terminate();
    },
  };
}

/** One measurement: operations, milliseconds, and the pause inside those milliseconds. */
export interface Timed {
  ops: number;
  ms: number;
  pausedMs: number;
}

/**
 * Runs a measurement that reports its own `ms` (timed in the page) and adds the pause inside it:
 * the window taken is the `ms` just before `run` resolved here.
 */
export async function withPauses(
  meter: PauseMeter,
  run: () => Promise<{ ops: number; ms: number }>,
): Promise<Timed> {
  const { ops, ms } = await run();
  const end = performance.now();
  return { ops, ms, pausedMs: Math.min(ms, meter.pausedMs(end - ms, end)) };
}

/** The best of several measurements of one contender, raw and with the pauses taken out. */
export class BestOf {
  best = 0;
  bestRunning = 0;
  #ms = 0;
  #pausedMs = 0;

  add(m: Timed): void {
    this.best = Math.max(this.best, (m.ops / m.ms) * 1000);
    const running = m.ms - m.pausedMs;
    if (running > 0) this.bestRunning = Math.max(this.bestRunning, (m.ops / running) * 1000);
    this.#ms += m.ms;
    this.#pausedMs += m.pausedMs;
  }

  /** Share of all measured time the machine stood still, as a percentage string. */
  get paused(): string {
    return this.#ms === 0 ? "" : `${Math.round((this.#pausedMs / this.#ms) * 100)}%`;
  }
}
