import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, call, json, newTenant, topicWith } from "../../../test/edge.ts";
import { createApp } from "../http/app.ts";

/** A tenant with a topic and this subject limit, and a way to mint tokens for a subject. */
async function limitedTenant(rates: Record<string, number> = {}) {
  const tenant = await newTenant({ rates });
  await topicWith(tenant.key, "orders", []);
  const mint = async (subject: string) =>
    (
      await json<{ token: string }>(tenant.key, "POST", "/v1/tokens", {
        subject,
        topics: ["orders"],
        ttlSeconds: 60,
      })
    ).token;
  return { ...tenant, mint };
}

/**
 * The API with the test environment's small platform limits in place of the real ones (4 a
 * minute per tenant, 2 per client address): the same bindings, counted by the platform.
 */
const small = { ...env, TENANT_RATE: env.TENANT_RATE_SMALL, CLIENT_RATE: env.CLIENT_RATE_SMALL } as Env;
const app = createApp();

function from(ip: string, credential: string, path = "/v1/tasks?ids=x"): Promise<Response> {
  const request = new Request(`http://api.test${path}`, {
    headers: { authorization: `Bearer ${credential}`, "cf-connecting-ip": ip },
  });
  return Promise.resolve(app.fetch(request, small));
}

describe("rate limits", () => {
  describe("when one subject uses several tokens", () => {
    it("charges them all to the subject's budget, held in its object, so a fresh token gets 429 with Retry-After", async () => {
      const { mint } = await limitedTenant({ subject: 2 });
      const first = await mint("bob");
      const statuses = [
        (await call(first, "GET", "/v1/tasks?ids=x")).status,
        (await call(await mint("bob"), "GET", "/v1/tasks?ids=x")).status,
      ];
      const refused = await call(await mint("bob"), "POST", "/v1/tasks", {
        tasks: [{ id: "a", topic: "orders", payload: 1 }],
      });
      const other = await call(await mint("carol"), "GET", "/v1/tasks?ids=x");
      expect(statuses).toEqual([200, 200]);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
      expect(other.status).toBe(200);
    });
  });

  describe("when one client address uses several credentials", () => {
    it("limits the address across them, on the platform's binding, and leaves other addresses alone", async () => {
      const { key, mint } = await limitedTenant();
      const token = await mint("dave");
      const statuses = [(await from("203.0.113.7", key)).status, (await from("203.0.113.7", token)).status];
      const refused = await from("203.0.113.7", await mint("erin"));
      const elsewhere = await from("198.51.100.9", key);
      expect(statuses).toEqual([200, 200]);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(elsewhere.status).toBe(200);
    });
  });

  describe("when a tenant spends its own budget", () => {
    it("refuses every credential and address of that tenant, and no other tenant", async () => {
      const { key, mint } = await limitedTenant();
      const token = await mint("frank");
      const statuses = [
        (await from("203.0.113.1", key)).status,
        (await from("203.0.113.2", token)).status,
        (await from("203.0.113.3", key)).status,
        (await from("203.0.113.4", token)).status,
      ];
      const refused = await from("203.0.113.5", token);
      const stranger = await newTenant();
      const unaffected = await from("203.0.113.5", stranger.key);
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect(refused.status).toBe(429);
      expect(unaffected.status).toBe(200);
    });
  });

  it("answers a request without a client address (local tools) under the tenant's limit alone", async () => {
    const { key } = await limitedTenant();
    const response = await api("/v1/tasks?ids=x", { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
  });
});
