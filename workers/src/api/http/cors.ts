/**
 * CORS per contract v1: preflights are answered without credentials for any origin some
 * tenant allows (or, outside production, any http://127.0.0.1 or localhost port, where the
 * demo and test pages run), and cached with `Access-Control-Max-Age`. Whether the caller's
 * own tenant allows the origin is checked once the credential is known (`originAllowedFor`).
 *
 * The origins some tenant allows are cached per isolate for CACHE_MS, so an origin added to a
 * tenant's row in D1 is answered in other isolates within 30 s; the isolate that makes a tenant
 * forgets its cache at once (`forgetKnownOrigins`).
 */
import type { MiddlewareHandler } from "hono";
import type { Tenant } from "../auth/tenant.ts";
import type { AppEnv } from "./app-env.ts";

const MAX_AGE_SECONDS = 600;
const CACHE_MS = 30_000;
const DEV_ORIGIN = /^http:\/\/(?:127\.0\.0\.1|localhost)(?::\d{1,5})?$/;
let known: { at: number; origins: Set<string> } | undefined;

/** The CORS middleware for every `/v1` route that takes credentials. */
export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && (await anyTenantAllows(c.env, origin));
    if (c.req.method === "OPTIONS") {
      if (!allowed) return c.body(null, 204, { Vary: "Origin" });
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
        "Access-Control-Allow-Headers":
          c.req.header("access-control-request-headers") ?? "authorization, content-type",
        "Access-Control-Max-Age": String(MAX_AGE_SECONDS),
        Vary: "Origin",
      });
    }
    await next();
    if (allowed && c.res.status !== 101) {
      c.res.headers.set("Access-Control-Allow-Origin", origin);
      c.res.headers.set("Access-Control-Expose-Headers", "Retry-After");
      c.res.headers.append("Vary", "Origin");
    }
  };
}

/** Whether a request from `origin` may use this tenant's credentials. */
export function originAllowedFor(env: Env, tenant: Tenant, origin: string): boolean {
  return isDevOrigin(env, origin) || tenant.origins.includes(origin);
}

/** Drops this isolate's cached origins, after a change to a tenant's origins. */
export function forgetKnownOrigins(): void {
  known = undefined;
}

function isDevOrigin(env: Env, origin: string): boolean {
  return env.ERRAND_ENV !== "production" && DEV_ORIGIN.test(origin);
}

async function anyTenantAllows(env: Env, origin: string): Promise<boolean> {
  if (isDevOrigin(env, origin)) return true;
  if (!known || Date.now() - known.at > CACHE_MS) {
    const rows = await env.DB.prepare(
      "SELECT DISTINCT j.value AS origin FROM tenants, json_each(tenants.origins) j",
    ).all<{
      origin: string;
    }>();
    known = { at: Date.now(), origins: new Set(rows.results.map((r) => r.origin)) };
  }
  return known.origins.has(origin);
}
