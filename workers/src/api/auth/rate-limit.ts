/**
 * Rate limits. Per tenant and per client address: the platform's rate limiting bindings
 * (`TENANT_RATE`, `CLIENT_RATE` in wrangler.toml), counted per Cloudflare location, with no
 * Durable Object or storage of Errand's own on the path. Per subject: fixed-window counters
 * ({@link RateWindows}) in the subject's own object, where every request of that subject goes
 * anyway; keyed by subject, not token, so a fresh token is not a fresh budget.
 */
import { addressBlock } from "./client-address.ts";

/** The period of the `TENANT_RATE` and `CLIENT_RATE` bindings, in seconds (wrangler.toml). */
export const PLATFORM_PERIOD_SECONDS = 60;

/**
 * Charges one request to the tenant's and the client address's platform limits; the seconds to
 * wait when either is spent (the bindings say only "over": a whole period), else undefined. A
 * request with no client address (Cloudflare always sends one; local tools may not) is charged
 * to the tenant alone.
 */
export async function chargePlatform(
  env: Env,
  tenant: string,
  ip: string | undefined,
): Promise<number | undefined> {
  const [perTenant, perAddress] = await Promise.all([
    env.TENANT_RATE.limit({ key: tenant }),
    ip === undefined ? { success: true } : env.CLIENT_RATE.limit({ key: `${tenant}:${addressBlock(ip)}` }),
  ]);
  return perTenant.success && perAddress.success ? undefined : PLATFORM_PERIOD_SECONDS;
}

/** The length of a window. */
export const WINDOW_MS = 60_000;

/** Past this many tracked keys, windows that ended are dropped. */
const PRUNE_ABOVE = 10_000;

/** A limit to charge one request against. */
export interface RateCharge {
  key: string;
  limit: number;
}

interface Window {
  start: number;
  count: number;
}

/** Counters per key, each for the current window. */
export class RateWindows {
  readonly #windows = new Map<string, Window>();

  /**
   * Charges one request against every limit; returns the seconds to wait when any is spent
   * (nothing is charged then), or undefined when the request may go ahead.
   */
  charge(charges: readonly RateCharge[], now = Date.now()): number | undefined {
    if (this.#windows.size > PRUNE_ABOVE) this.#prune(now);
    const current = charges.map(({ key, limit }) => {
      let window = this.#windows.get(key);
      if (!window || now - window.start >= WINDOW_MS) {
        window = { start: now, count: 0 };
        this.#windows.set(key, window);
      }
      return { window, limit };
    });
    const spent = current.filter(({ window, limit }) => window.count >= limit);
    if (spent.length > 0) {
      const resetAt = Math.max(...spent.map(({ window }) => window.start + WINDOW_MS));
      return Math.max(1, Math.ceil((resetAt - now) / 1000));
    }
    for (const { window } of current) window.count++;
    return undefined;
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= WINDOW_MS) this.#windows.delete(key);
    }
  }
}
