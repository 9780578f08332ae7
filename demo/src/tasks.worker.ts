import { expose, transfer } from "@errand/client/worker";
import { tasks } from "./tasks.ts";
import { boxBlur, generatePicture } from "./work/blur.ts";
import { flakyStep } from "./work/flaky.ts";
import { chainedSha256 } from "./work/hash.ts";
import { countPrimes } from "./work/primes.ts";

// The demo's Web Worker: the heavy work runs here, so the page stays responsive.
expose(tasks, {
  async hash({ megabytes, seed }, ctx) {
    const digest = await chainedSha256(megabytes * 2 ** 20, seed, {
      signal: ctx.signal,
      onProgress: (f) => ctx.progress(f),
    });
    return { digest, megabytes };
  },
  async primes({ limit }, ctx) {
    const count = await countPrimes(limit, { signal: ctx.signal, onProgress: (f) => ctx.progress(f) });
    return { limit, count };
  },
  async blur({ width, height, radius, passes }, ctx) {
    const pixels = await boxBlur(generatePicture(width, height), width, height, {
      radius,
      passes,
      signal: ctx.signal,
      onProgress: (f) => ctx.progress(f),
    });
    return transfer({ width, height, pixels }, [pixels.buffer]);
  },
  async flaky({ failureRate }, ctx) {
    return flakyStep(failureRate, { signal: ctx.signal });
  },
});
