import { expose, transfer } from "@errand/client/worker";
import { tasks } from "./tasks.ts";
import { boxBlur, generatePicture } from "./work/blur.ts";
import { flakyStep } from "./work/flaky.ts";
import { chainedSha256 } from "./work/hash.ts";
import { subscribeSetting } from "./work/live-setting.ts";
import { countPrimes } from "./work/primes.ts";

// The demo's Web Worker: the heavy work runs here, so the page stays responsive.
const failureRate = subscribeSetting("errand-demo-failure-rate");

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
  async flaky(payload, ctx) {
    // The slider's current rate, so lowering it and replaying a dead letter lets it succeed.
    return flakyStep(await failureRate(payload.failureRate), { signal: ctx.signal });
  },
});
