/**
 * Fixed-window request counters per tenant, per subject and per client IP, kept in the
 * isolate. Each Worker isolate counts on its own, so the effective global limit is the
 * configured one times the isolates serving a tenant: this bounds abuse cheaply (no extra
 * round trip on the hot path) rather than metering exactly. Keyed by subject, not token, so
 * a fresh token is not a fresh budget.
 */

const WINDOW_MS = 60_000;
const MAX_TRACKED = 50_000;

interface Window {
  start: number;
  count: number;
}

const windows = new Map<string, Window>();

/** A limit to charge one request against. */
export interface RateCharge {
  key: string;
  limit: number;
}

/**
 * Charges one request against every limit; returns the seconds to wait when any is spent
 * (nothing is charged then), or undefined when the request may go ahead.
 */
export function chargeRate(charges: readonly RateCharge[], now = Date.now()): number | undefined {
  if (windows.size > MAX_TRACKED) windows.clear();
  const current = charges.map(({ key, limit }) => {
    let window = windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      windows.set(key, window);
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
