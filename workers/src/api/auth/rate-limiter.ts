/**
 * RateLimiter: a Durable Object per tenant holding the tenant's rate counters (the tenant's,
 * its subjects' and its client IPs'), so the limits hold across every isolate and location
 * serving the tenant. One call per request charges all its limits at once (all or nothing).
 *
 * Counters live in memory: a limiter idle long enough to be evicted has no window still open
 * worth keeping, and a write per request to storage would cost more than the limit is worth.
 */
import { DurableObject } from "cloudflare:workers";
import { type RateCharge, RateWindows } from "./rate-limit.ts";

/** The tenant's limiter (named by the tenant id). */
export class RateLimiter extends DurableObject<Env> {
  readonly #windows = new RateWindows();

  /** Charges one request; the seconds to wait when a limit is spent, else undefined. */
  charge(charges: RateCharge[]): number | undefined {
    return this.#windows.charge(charges);
  }
}

/** Charges one request against its tenant's limiter. */
export function chargeTenant(env: Env, tenant: string, charges: RateCharge[]): Promise<number | undefined> {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(tenant)).charge(charges);
}
