/**
 * Fixed-window request counters: the arithmetic behind the rate limits per tenant, per subject
 * and per client IP. Pure and in memory; the {@link RateLimiter} Durable Object holds one set
 * per tenant so every isolate charges the same counters. Keyed by subject, not token, so a
 * fresh token is not a fresh budget.
 */
import type { Principal } from "./principal.ts";

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

/** The limits a request by this principal from this client IP is charged against. */
export function rateCharges(principal: Principal, ip: string): RateCharge[] {
  const { tenant } = principal;
  const list: RateCharge[] = [
    { key: tenantLimitKey(tenant.id), limit: tenant.rates.tenant },
    { key: ipLimitKey(tenant.id, ip), limit: tenant.rates.ip },
  ];
  if (principal.kind === "token")
    list.push({ key: subjectLimitKey(tenant.id, principal.subject), limit: tenant.rates.subject });
  return list;
}

/** The counter of a whole tenant. */
export function tenantLimitKey(tenant: string): string {
  return `t:${tenant}`;
}

/** The counter of one client IP within a tenant. */
export function ipLimitKey(tenant: string, ip: string): string {
  return `i:${tenant}:${ip}`;
}

/** The counter of one subject (every token minted for it) within a tenant. */
export function subjectLimitKey(tenant: string, subject: string): string {
  return `s:${tenant}:${subject}`;
}
