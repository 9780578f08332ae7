/**
 * Client tokens, for browsers: `et1.<claims>.<signature>`, the claims base64url JSON and the
 * signature HMAC-SHA256 under the Worker's `TOKEN_SECRET`. A token names its tenant, subject
 * and topics and lives at most 24 hours; it is checked without a database read.
 */
import { ApiError } from "../http/api-error.ts";
import { base64url, fromBase64url, hmacSha256, signedUnderAny } from "./crypto.ts";

/** What a token grants. */
export interface TokenClaims {
  /** Tenant id. */
  tenant: string;
  subject: string;
  /** Topic patterns it may publish to. */
  topics: string[];
  /** Expiry, Unix milliseconds. */
  expiresAt: number;
}

const PREFIX = "et1";

/** Signs claims into a token. */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const body = base64url(
    new TextEncoder().encode(
      JSON.stringify({ t: claims.tenant, s: claims.subject, p: claims.topics, e: claims.expiresAt }),
    ),
  );
  const signature = base64url(await hmacSha256(secret, `${PREFIX}.${body}`));
  return `${PREFIX}.${body}.${signature}`;
}

/**
 * Verifies a token's signature under any of `secrets` (the current one first; an old one
 * during rotation) and its expiry. Undefined when forged, malformed or expired.
 */
export async function verifyToken(
  secrets: readonly string[],
  token: string,
  now = Date.now(),
): Promise<TokenClaims | undefined> {
  const [prefix, body, signature] = token.split(".");
  if (prefix !== PREFIX || !body || !signature || token.split(".").length !== 3) return undefined;
  if (!(await signedUnderAny(secrets, `${PREFIX}.${body}`, signature))) return undefined;
  const bytes = fromBase64url(body);
  if (!bytes) return undefined;
  try {
    const raw = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const claims = {
      tenant: raw.t,
      subject: raw.s,
      topics: raw.p,
      expiresAt: raw.e,
    };
    if (
      typeof claims.tenant !== "string" ||
      typeof claims.subject !== "string" ||
      !Array.isArray(claims.topics) ||
      !claims.topics.every((t) => typeof t === "string") ||
      typeof claims.expiresAt !== "number"
    ) {
      return undefined;
    }
    if (claims.expiresAt <= now) return undefined;
    return claims as TokenClaims;
  } catch {
    return undefined;
  }
}

/** The secrets tokens are checked against: `TOKEN_SECRET`, then `TOKEN_SECRET_PREVIOUS`. */
export function tokenSecrets(env: { TOKEN_SECRET?: string; TOKEN_SECRET_PREVIOUS?: string }): string[] {
  return [env.TOKEN_SECRET, env.TOKEN_SECRET_PREVIOUS].filter((s): s is string => !!s && s.length >= 16);
}

/** The secret that signs tokens and event tickets: `TOKEN_SECRET`. */
export function signingSecret(env: { TOKEN_SECRET?: string; TOKEN_SECRET_PREVIOUS?: string }): string {
  const [secret] = tokenSecrets(env);
  if (!secret)
    throw new ApiError("internal_error", "TOKEN_SECRET is not set: run `wrangler secret put TOKEN_SECRET`.");
  return secret;
}
