/**
 * Failed authentication, charged per client address. Without a charge, each made-up `ek_…` key
 * cost the API a hash and a D1 read and its sender nothing but a 401. Failures are counted by
 * the platform's rate limiting binding (`AUTH_FAILURES` in wrangler.toml: 60 a minute per
 * address, per Cloudflare location), which is made for this: no Durable Object or storage round
 * trip of Errand's own. An IPv6 client is counted by its /64 (client-address.ts). Once an
 * address is over, this isolate remembers it until the window ends, and authenticate.ts then
 * verifies that address's credentials only where no database read is needed (client tokens,
 * keys it verified moments ago): the rest answer 429 at once.
 */
import { addressBlock } from "./client-address.ts";

/** The period of the `AUTH_FAILURES` binding, in seconds (wrangler.toml). */
const PERIOD_SECONDS = 60;

/** Past this many remembered addresses, those whose wait is over are dropped. */
const PRUNE_ABOVE = 10_000;

/** Address block → when its wait ends (Unix ms), as this isolate last heard from the limiter. */
const blockedUntil = new Map<string, number>();

/** The seconds `ip` must still wait after going over its failure budget; undefined when free. */
export function failureWait(ip: string, now = Date.now()): number | undefined {
  const block = addressBlock(ip);
  const until = blockedUntil.get(block);
  if (until === undefined) return undefined;
  if (until <= now) {
    blockedUntil.delete(block);
    return undefined;
  }
  return Math.ceil((until - now) / 1000);
}

/** Charges one failed authentication to `ip`; the seconds to wait when it is over its budget. */
export async function chargeFailure(env: Env, ip: string, now = Date.now()): Promise<number | undefined> {
  const block = addressBlock(ip);
  const { success } = await env.AUTH_FAILURES.limit({ key: block });
  if (success) return undefined;
  if (blockedUntil.size > PRUNE_ABOVE) {
    for (const [address, until] of blockedUntil) if (until <= now) blockedUntil.delete(address);
  }
  // The binding says only "over", not when its window ends: wait out a whole period.
  blockedUntil.set(block, now + PERIOD_SECONDS * 1000);
  return PERIOD_SECONDS;
}
