/**
 * Routes that exist only in the `dev` and `test` environments (the dev/test entry mounts them;
 * the production bundle does not contain them):
 * - `POST /v1/dev/token` `{ subject?, topics?, ttlSeconds? }` → a client token of the seeded
 *   `dev` tenant (default subject `demo-user`, topics `["demo.*"]`, 1 hour), for the demo page
 *   and fixture pages; no credential needed.
 * - `POST /v1/dev/tenants` `{ origins?, rates?: { subject? } }` → a fresh tenant and an admin key, so tests
 *   and benchmarks never share state.
 * - `POST /v1/dev/chaos` `{ duplicate, maxDelaySeconds, shuffle }` (test only) → the queue
 *   chaos settings of this isolate.
 * - `POST /v1/dev/faults` `{ rules }` with an admin key (test only) → the tenant's fault rules.
 * - `POST /v1/dev/repair` → runs every subject object's alarm work now (sends what is overdue,
 *   feeds D1).
 * - `GET /v1/dev/latency` with an admin key → the tenant's delivered count and, per delivery,
 *   milliseconds from the `sentAt` in its task's payload to its completion (for the benchmark);
 *   with `?count` only the count (from the objects' fed stats: cheap enough to poll).
 * - `GET /v1/dev/completed` with an admin key → how many deliveries of the tenant's objects were
 *   reported completed through the consumer RPC since this isolate started: exact at once and
 *   free to poll (an in-memory count), where `latency?count` waits for the fed stats.
 * - `GET /v1/dev/usage` with an admin key → requests served and SQLite rows read and written
 *   by the tenant's subject objects since they started, and with `METERED=1` the isolate's
 *   meters (meters.ts: invocations, queue messages, object calls, D1 and SQL statements with
 *   their rows), for the cost benchmark.
 * - `GET /v1/dev/stats` → the seeded `dev` tenant's `/v1/stats` plus its delivery retries and
 *   the time, with no credential: the demo page's edge dashboard (a page must never hold the
 *   admin key that `/v1/stats` needs). Subscriptions are listed by id, topic and kind only.
 */
import { MAX_TOKEN_TTL_SECONDS, parseTokenRequest } from "@errand/core/wire";
import { type Context, Hono } from "hono";
import { insertApiKey, mintApiKey, SCOPES } from "../auth/api-key.ts";
import { resolvePrincipal } from "../auth/authenticate.ts";
import { ApiError } from "../http/api-error.ts";
import type { AppEnv } from "../http/app-env.ts";
import { forgetKnownOrigins } from "../http/cors.ts";
import { tenantStats } from "../http/stats.ts";
import { mintToken } from "../http/tokens-routes.ts";
import type { SubjectStats } from "../objects/subject.ts";
import { objectByHex } from "../objects/subject-ref.ts";
import { type ChaosSettings, parseChaos } from "./chaos-queue.ts";
import { DEV_TENANT } from "./dev-seed.ts";
import { parseFaults, setFaults } from "./faults.ts";
import { completedOf, metered, objectsOf, readMeters } from "./meters.ts";

/** Builds the dev routes; `setChaos` changes the isolate's queue chaos. */
export function devRoutes(setChaos: (settings: ChaosSettings | undefined) => void): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post("/token", async (c) => {
    const body = await looseBody(c);
    const parsed = parseTokenRequest({
      subject: body.subject ?? "demo-user",
      topics: body.topics ?? ["demo.*"],
      ttlSeconds: body.ttlSeconds ?? 3600,
    });
    if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
    const ttlSeconds = Math.min(parsed.value.ttlSeconds, MAX_TOKEN_TTL_SECONDS);
    return c.json(await mintToken(c.env, DEV_TENANT, { ...parsed.value, ttlSeconds }));
  });

  routes.post("/tenants", async (c) => {
    const body: { origins?: unknown; rates?: unknown } = await looseBody(c);
    const rates =
      typeof body.rates === "object" && body.rates !== null ? (body.rates as Record<string, unknown>) : {};
    const origins = Array.isArray(body.origins) ? body.origins.filter((o) => typeof o === "string") : [];
    const rate = (name: string, fallback: number) => {
      const n = Number(rates[name]);
      return Number.isInteger(n) && n > 0 ? n : fallback;
    };
    const tenant = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const key = await mintApiKey();
    await c.env.DB.batch([
      c.env.DB.prepare(
        "INSERT INTO tenants (id, name, origins, rate_subject, created_at) VALUES (?, ?, ?, ?, ?)",
      ).bind(tenant, tenant, JSON.stringify(origins), rate("subject", 6_000), Date.now()),
      insertApiKey(c.env.DB, key, tenant, SCOPES, ["*"], "dev admin key"),
    ]);
    forgetKnownOrigins();
    return c.json({ tenant, key: key.key }, 201);
  });

  routes.post("/repair", async (c) => {
    // Every object that fed stats: the alarm's work now (sends what is overdue, feeds D1).
    const rows = await c.env.DB.prepare("SELECT object FROM subject_stats LIMIT 1000").all<{
      object: string;
    }>();
    await Promise.all(rows.results.map(({ object }) => objectByHex(c.env, object)?.repairNow()));
    return c.json({ objects: rows.results.length });
  });

  routes.post("/chaos", async (c) => {
    if (c.env.FAULTS !== "1") throw new ApiError("not_found", "Chaos exists only in the test environment.");
    const text = await c.req.text();
    setChaos(parseChaos(text));
    return c.json({ chaos: parseChaos(text) ?? null });
  });

  routes.post("/faults", async (c) => {
    if (c.env.FAULTS !== "1") throw new ApiError("not_found", "Faults exist only in the test environment.");
    const tenant = await adminTenant(c, "Set faults with the tenant's admin key.");
    const rules = parseFaults(await c.req.json().catch(() => null));
    if (!rules) throw new ApiError("invalid_request", "rules must be an array of fault rules.");
    setFaults(tenant, rules);
    return c.json({ rules });
  });

  routes.get("/latency", async (c) => {
    const tenant = await adminTenant(c, "Send the tenant's admin key.");
    const rows = await c.env.DB.prepare("SELECT object, stats FROM subject_stats WHERE tenant = ?")
      .bind(tenant)
      .all<{ object: string; stats: string }>();
    if (c.req.query("count") !== undefined) {
      // From the objects' own counts (fed within FEED_SECONDS): cheap enough to poll.
      let count = 0;
      for (const row of rows.results)
        for (const sub of (JSON.parse(row.stats) as SubjectStats).subscriptions) count += sub.delivered;
      return c.json({ count });
    }
    // Objects fed to D1, and those this isolate saw (a new object feeds within FEED_SECONDS).
    const objects = new Set([...rows.results.map((r) => r.object), ...objectsOf(tenant)]);
    const latencies = (
      await Promise.all(
        [...objects].map(async (object) => (await objectByHex(c.env, object)?.latencies()) ?? []),
      )
    ).flat();
    return c.json({ count: latencies.length, latencies });
  });

  routes.get("/completed", async (c) => {
    const tenant = await adminTenant(c, "Send the tenant's admin key.");
    return c.json({ completed: completedOf(tenant) });
  });

  routes.get("/usage", async (c) => {
    const tenant = await adminTenant(c, "Send the tenant's admin key.");
    const rows = await c.env.DB.prepare("SELECT object FROM subject_stats WHERE tenant = ?")
      .bind(tenant)
      .all<{ object: string }>();
    // Objects fed to D1, and those this isolate saw (an object that forgot itself is in no feed).
    const objects = [...new Set([...rows.results.map((r) => r.object), ...objectsOf(tenant)])];
    const usage = await Promise.all(objects.map((object) => objectByHex(c.env, object)?.usage()));
    const total = { objects: objects.length, requests: 0, rowsRead: 0, rowsWritten: 0 };
    for (const u of usage) {
      if (!u) continue;
      total.requests += u.requests;
      total.rowsRead += u.rowsRead;
      total.rowsWritten += u.rowsWritten;
    }
    const completed = completedOf(tenant);
    return c.json(metered(c.env) ? { ...total, completed, meters: readMeters() } : { ...total, completed });
  });

  routes.get("/stats", async (c) => {
    const stats = await tenantStats(c.env.DB, DEV_TENANT);
    const rows = await c.env.DB.prepare("SELECT stats FROM subject_stats WHERE tenant = ?")
      .bind(DEV_TENANT)
      .all<{ stats: string }>();
    const retries = rows.results.reduce(
      (sum, row) => sum + ((JSON.parse(row.stats) as SubjectStats).retries ?? 0),
      0,
    );
    return c.json({ tenant: DEV_TENANT, at: Date.now(), ...stats, retries });
  });

  return routes;
}

/**
 * A dev route's body as an object. Dev callers (tests, scripts, the demo) send bodies without a
 * content type, or none, and every field has a default: anything but a JSON object reads as `{}`.
 */
async function looseBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => undefined);
  return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
}

/**
 * The tenant whose admin key the request carries (dev routes sit outside the API's
 * authentication middleware). Throws `unauthorized` with `message` for anything else.
 */
async function adminTenant(c: Context<AppEnv>, message: string): Promise<string> {
  const credential = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  const principal = credential ? await resolvePrincipal(c.env, credential) : undefined;
  if (principal?.kind !== "key" || !principal.scopes.includes("admin"))
    throw new ApiError("unauthorized", message);
  return principal.tenant.id;
}
