/**
 * Authentication middleware: `Authorization: Bearer <API key | client token>` → the request's
 * principal, then the rate limits of its tenant and client address (the platform's bindings).
 * A token's subject limit is charged where the subject's object is reached ({@link chargeSubject}). A credential
 * that fails is charged to the client's address instead (auth-failures.ts): past its budget the
 * answer is 429, not 401.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../http/api-error.ts";
import type { AppEnv } from "../http/app-env.ts";
import { originAllowedFor } from "../http/cors.ts";
import { subjectObject } from "../objects/subject-ref.ts";
import { parseApiKey, verifyApiKey } from "./api-key.ts";
import { chargeFailure, failureWait } from "./auth-failures.ts";
import { tokenSecrets, verifyToken } from "./client-token.ts";
import { sha256Hex } from "./crypto.ts";
import type { Principal } from "./principal.ts";
import { chargePlatform } from "./rate-limit.ts";
import { loadTenant, type Tenant } from "./tenant.ts";

// Verified keys and tenants are kept briefly per isolate so the hot path skips a D1 read;
// a revoked key stops working within CACHE_MS. Keys that failed are kept as long, so one
// made-up key sent again and again costs one D1 read (a key is minted with a fresh random
// secret: none that failed can start to work within CACHE_MS).
const CACHE_MS = 10_000;
const keyCache = new Map<string, { at: number; principal: Principal | undefined }>();
const tenantCache = new Map<string, { at: number; tenant: Tenant | undefined }>();

/** Authenticates the request or answers `401 unauthorized`. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new ApiError(
        "unauthorized",
        "Send an API key or client token as Authorization: Bearer <credential>.",
      );
    const address = c.req.header("cf-connecting-ip");
    const ip = address ?? "unknown";
    const wait = failureWait(ip);
    const principal = await resolvePrincipal(c.env, match[1], { lookup: wait === undefined });
    if (!principal) {
      const retryAfter = wait ?? (await chargeFailure(c.env, ip));
      if (retryAfter !== undefined) {
        throw new ApiError("rate_limited", `Too many failed credentials; retry in ${retryAfter} s.`, {
          "Retry-After": String(retryAfter),
        });
      }
      throw new ApiError("unauthorized", "The credential is unknown, revoked or expired.");
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !originAllowedFor(c.env, principal.tenant, origin)) {
      throw new ApiError("forbidden", `This tenant does not allow requests from ${origin}.`);
    }
    const retryAfter = await chargePlatform(c.env, principal.tenant.id, address);
    if (retryAfter !== undefined) throw rateLimited(retryAfter);
    c.set("principal", principal);
    await next();
  };
}

/**
 * Charges a token's request to its subject's limit, held in the subject's object, for the
 * routes that reach that object. `POST /v1/tasks` charges inside the one call it makes there
 * instead (ingest.ts), so the hot path pays no second round trip.
 */
export function chargeSubject(): MiddlewareHandler<AppEnv> {
  return async function chargeSubject(c, next) {
    const principal = c.get("principal");
    if (principal.kind === "token") {
      const retryAfter = await subjectObject(c.env, principal.tenant.id, principal.subject).charge(
        principal.tenant.rates.subject,
      );
      if (retryAfter !== undefined) throw rateLimited(retryAfter);
    }
    await next();
  };
}

/** `429 rate_limited` with `Retry-After`. */
export function rateLimited(retryAfter: number): ApiError {
  return new ApiError("rate_limited", `Too many requests; retry in ${retryAfter} s.`, {
    "Retry-After": String(retryAfter),
  });
}

/**
 * The principal a presented credential stands for, if valid. With `lookup: false` (its address
 * is over its failure budget) an API key is taken only from the cache, never read from D1.
 */
export async function resolvePrincipal(
  env: Env,
  credential: string,
  { lookup = true }: { lookup?: boolean } = {},
): Promise<Principal | undefined> {
  if (credential.startsWith("et1.")) {
    const claims = await verifyToken(tokenSecrets(env), credential);
    if (!claims) return undefined;
    const tenant = await cachedTenant(env.DB, claims.tenant);
    if (!tenant) return undefined;
    return {
      kind: "token",
      tenant,
      subject: claims.subject,
      topics: claims.topics,
      expiresAt: claims.expiresAt,
    };
  }
  if (!parseApiKey(credential)) return undefined;
  const cacheKey = await sha256Hex(credential);
  const cached = keyCache.get(cacheKey);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.principal;
  if (!lookup) return undefined;
  const key = await verifyApiKey(env.DB, credential);
  const principal: Principal | undefined = key && {
    kind: "key",
    keyId: key.id,
    tenant: key.tenant,
    subject: "",
    scopes: key.scopes,
    topics: key.topics,
  };
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(cacheKey, { at: Date.now(), principal });
  return principal;
}

/** Forgets cached keys and tenants (after an admin change in this isolate). */
export function forgetCachedCredentials(): void {
  keyCache.clear();
  tenantCache.clear();
}

async function cachedTenant(db: D1Database, id: string): Promise<Tenant | undefined> {
  const cached = tenantCache.get(id);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.tenant;
  const tenant = await loadTenant(db, id);
  if (tenantCache.size > 10_000) tenantCache.clear();
  tenantCache.set(id, { at: Date.now(), tenant });
  return tenant;
}
