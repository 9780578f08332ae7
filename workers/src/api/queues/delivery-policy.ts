/** The retry policy of deliveries, from the Worker's vars (tests shorten the backoff). */
import { type RetryPolicy, resolvePolicy } from "@errand/core";

/** Attempts and backoff for every delivery: `DELIVERY_MAX_ATTEMPTS`, `DELIVERY_BACKOFF_MAX_MS`. */
export function deliveryPolicy(env: Env): RetryPolicy {
  const maxAttempts = Number(env.DELIVERY_MAX_ATTEMPTS);
  const maxMs = Number(env.DELIVERY_BACKOFF_MAX_MS);
  return resolvePolicy({
    maxAttempts: Number.isInteger(maxAttempts) && maxAttempts >= 1 ? maxAttempts : 5,
    backoff: {
      kind: "exponential",
      baseMs: Math.min(1000, maxMs > 0 ? maxMs : 1000),
      maxMs: maxMs > 0 ? maxMs : 60_000,
      jitter: "full",
    },
  });
}
