import { defineTasks, type JsonValue, task } from "@errand/core";

/**
 * The demo's task types: one map gives the page's `enqueue`, the worker's handlers and (for
 * edge-bound work) the edge consumer the same payload and result types.
 */
export const tasks = defineTasks({
  /** Chained SHA-256 over a generated file of `megabytes` MiB. */
  hash: task<{ megabytes: number; seed: number }, { digest: string; megabytes: number }>({ version: 1 }),
  /** Count the primes below `limit`. */
  primes: task<{ limit: number }, { limit: number; count: number }>({ version: 1 }),
  /** Blur a generated `width`×`height` picture; the result carries the pixels back. */
  blur: task<
    { width: number; height: number; radius: number; passes: number },
    { width: number; height: number; pixels: Uint8ClampedArray }
  >({ version: 1 }),
  /** Fail with probability `failureRate`: retries, backoff and dead letters to watch. */
  flaky: task<{ failureRate: number }, "ok">({ version: 1 }),
  /**
   * Published to the edge (`target: "edge"`), never run here: the example consumer echoes the
   * payload back as the result, the webhook receiver and the runtime's status socket hear it.
   */
  "demo.echo": task<{ text: string; n: number }, { echo: JsonValue; by: string }>({ version: 1 }),
});

export type DemoTasks = typeof tasks;
