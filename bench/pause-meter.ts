// Pause meter: how much of a benchmark's wall time this machine was not running at all. A
// worker thread sleeps 5 ms at a time and records every wake-up that comes over 50 ms late;
// with nothing to contend with in that thread, a late wake-up means the whole machine (here a VM
// whose vCPUs the host pauses for 0.1–1.4 s at a time) stood still. Benchmarks print the pauses
// inside each measured window beside their figures, so a reader can tell a slow run from a
// paused one. A wake-up can also come late because this machine's own threads kept both cores
// busy; that is assumed rare at 50 ms, not measured, so "pauses out" figures may also take out
// some time that was load.
import { Worker } from "node:worker_threads";

/** Pauses of the machine, on this process's `performance.now()` clock. */
export interface PauseMeter {
  /** Milliseconds of pause inside [from, to]; waits until the meter has looked past `to`. */
  pausedMs(from: number, to: number): Promise<number>;
  /** "paused 41% of 20.3 s (37 pauses, longest 1,120 ms)" for [from, to]. */
  describe(from: number, to: number): Promise<string>;
  stop(): Promise<void>;
}

const TICK_MS = 5;
const LATE_MS = 50;
/** Room for 262,144 pauses: days at the worst rate seen here (about 2 a second). */
const SLOTS = 1 << 18;

/**
 * The thread's body: writes [start, length] pairs to `pauses` and their count to `count[0]`
 * (pauses past the room go to `count[1]`), and its latest look at the clock to `seen[0]`. A
 * worker's `performance.now()` runs on the same origin as the main thread's in Node.
 */
const THREAD = `
const { workerData } = require("node:worker_threads");
const { pauses, count, seen, stop, tick, late } = workerData;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let last = performance.now();
while (Atomics.load(stop, 0) === 0) {
  Atomics.wait(sleeper, 0, 0, tick);
  const t = performance.now();
  const over = t - last - tick;
  if (over > late) {
    const i = Atomics.load(count, 0);
    if (i < pauses.length / 2) {
      pauses[2 * i] = last + tick;
      pauses[2 * i + 1] = over;
      Atomics.store(count, 0, i + 1);
    } else {
      Atomics.add(count, 1, 1);
    }
  }
  last = t;
  seen[0] = t;
}
`;

/** Starts measuring; call `stop()` when the benchmark ends. */
export function startPauseMeter(): PauseMeter {
  const pauses = new Float64Array(new SharedArrayBuffer(SLOTS * 2 * 8));
  const count = new Int32Array(new SharedArrayBuffer(8));
  const seen = new Float64Array(new SharedArrayBuffer(8));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { pauses, count, seen, stop, tick: TICK_MS, late: LATE_MS },
  });
  worker.unref();

  /** Waits until the thread has looked at the clock after `to`, so a pause ending then is in. */
  const caughtUp = async (to: number) => {
    const giveUp = performance.now() + 10_000;
    while ((seen[0] ?? 0) <= to) {
      if (performance.now() > giveUp) throw new Error("pause meter: its thread stopped answering");
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    if (Atomics.load(count, 1) > 0) throw new Error("pause meter: more pauses than it has room for");
  };
  const inside = async (from: number, to: number) => {
    await caughtUp(to);
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
    pausedMs: async (from, to) => (await inside(from, to)).reduce((a, b) => a + b, 0),
    async describe(from, to) {
      const found = await inside(from, to);
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
 * Runs a measurement timed in a page, which reports its `ms` and its `end` (ms since the epoch,
 * `performance.timeOrigin + performance.now()` there), and adds the pause inside that window.
 */
export async function withPauses(
  meter: PauseMeter,
  run: () => Promise<{ ops: number; ms: number; end: number }>,
): Promise<Timed> {
  const { ops, ms, end } = await run();
  const to = end - performance.timeOrigin;
  return { ops, ms, pausedMs: Math.min(ms, await meter.pausedMs(to - ms, to)) };
}

/**
 * A contender's rounds: the best round's raw rate, and over all rounds together the share
 * paused and the rate with the pauses taken out (all operations over all running time, so no
 * single round whose pause was over-counted decides it).
 */
export class Rounds {
  best = 0;
  #ops = 0;
  #ms = 0;
  #pausedMs = 0;

  add(m: Timed): void {
    this.best = Math.max(this.best, (m.ops / m.ms) * 1000);
    this.#ops += m.ops;
    this.#ms += m.ms;
    this.#pausedMs += m.pausedMs;
  }

  /** Operations per second of running time over all rounds; NaN if the rounds never ran. */
  get running(): number {
    const running = this.#ms - this.#pausedMs;
    return running > 0 ? (this.#ops / running) * 1000 : Number.NaN;
  }

  /** Share of all rounds' time the machine stood still, as a percentage string. */
  get paused(): string {
    return this.#ms === 0 ? "" : `${Math.round((this.#pausedMs / this.#ms) * 100)}%`;
  }
}

/** A rate or ratio for a table: "n/a" when it could not be measured. */
export function shown(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "n/a";
  return digits === 0 ? Math.round(value).toLocaleString("en-US") : value.toFixed(digits);
}

/** `rounds` rounds, each running every contender once in turn so drift hits all alike. */
export async function inRounds(
  meter: PauseMeter,
  rounds: number,
  contenders: Array<[string, () => Promise<{ ops: number; ms: number; end: number }>]>,
): Promise<Map<string, Rounds>> {
  const results = new Map(contenders.map(([name]) => [name, new Rounds()]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, measure] of contenders) results.get(name)?.add(await withPauses(meter, measure));
  }
  return results;
}

/** A row per contender: its rates raw and pauses out, and `ratio` computed on each kind of rate. */
export function printRounds(
  results: Map<string, Rounds>,
  unit: string,
  label: string,
  ratio: (rate: (r: Rounds) => number, r: Rounds) => number,
  digits: number,
): void {
  console.table(
    [...results].map(([name, r]) => ({
      contender: name,
      [`${unit}, best round`]: shown(r.best),
      [label]: shown(
        ratio((x) => x.best, r),
        digits,
      ),
      "paused, all rounds": r.paused,
      [`${unit}, pauses out, all rounds`]: shown(r.running),
      [`${label}, pauses out`]: shown(
        ratio((x) => x.running, r),
        digits,
      ),
    })),
  );
}
