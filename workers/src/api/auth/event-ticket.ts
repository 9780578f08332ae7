/**
 * Event tickets: `<tenant>.<holder>.<expiresAt>.<nonce>.<signature>`, the signature HMAC-SHA256
 * under the Worker's `TOKEN_SECRET`. `holder` names the Durable Object that holds the socket:
 * `hub` (the tenant's hub, for a key) or a subject object's id in hex (for a token).
 * `GET /v1/events` checks the signature and the expiry before it touches any Durable Object, so
 * a made-up ticket costs one HMAC and never wakes (or creates) one; the holder then spends the
 * ticket, which makes it single-use.
 */
import { base64url, hmacSha256, randomSecret, signedUnderAny } from "./crypto.ts";

/** How long a ticket may wait before it opens a socket. */
export const TICKET_TTL_MS = 60_000;

const LABEL = "evt1";

/** The holder of an admin socket: the tenant's hub. */
export const HUB_HOLDER = "hub";

/** A ticket for `tenant`'s socket held by `holder`, that expires at `expiresAt` (Unix ms). */
export async function signTicket(
  secret: string,
  tenant: string,
  expiresAt: number,
  holder: string = HUB_HOLDER,
): Promise<string> {
  const body = `${tenant}.${holder}.${expiresAt}.${randomSecret(18)}`;
  return `${body}.${base64url(await hmacSha256(secret, `${LABEL}.${body}`))}`;
}

/**
 * The tenant of a ticket signed under any of `secrets` (the current one first; an old one during
 * rotation) that has not expired; undefined when forged, malformed or expired. It says nothing
 * of whether the ticket was spent: the hub knows that.
 */
export async function verifyTicket(
  secrets: readonly string[],
  ticket: string,
  now = Date.now(),
): Promise<{ tenant: string; holder: string } | undefined> {
  // From the right: the last four parts hold no dot, a tenant id might.
  const parts = ticket.split(".");
  if (parts.length < 5) return undefined;
  const [holder, expires, nonce, signature] = parts.slice(-4) as [string, string, string, string];
  const tenant = parts.slice(0, -4).join(".");
  const expiresAt = Number(expires);
  if (!tenant || !holder || !nonce || !/^\d+$/.test(expires) || expiresAt <= now) return undefined;
  const body = `${tenant}.${holder}.${expires}.${nonce}`;
  return (await signedUnderAny(secrets, `${LABEL}.${body}`, signature)) ? { tenant, holder } : undefined;
}
