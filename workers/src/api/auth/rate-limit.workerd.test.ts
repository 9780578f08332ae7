import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, call, json, newTenant, topicWith } from "../../../test/edge.ts";
import { subjectLimitKey } from "./rate-limit.ts";
import { chargeTenant } from "./rate-limiter.ts";

/** A tenant with a topic and these limits, and a way to mint tokens for a subject. */
async function limitedTenant(rates: Record<string, number>) {
  const tenant = await newTenant({ rates });
  await topicWith(tenant.key, "orders", []);
  // Minting is charged too: from an IP of its own, so it spends no budget a test watches.
  let setupIp = 0;
  const mint = async (subject: string) => {
    const response = await api("/v1/tokens", {
      method: "POST",
      headers: {
        authorization: `Bearer ${tenant.key}`,
        "content-type": "application/json",
        "cf-connecting-ip": `192.0.2.${++setupIp}`,
      },
      body: JSON.stringify({ subject, topics: ["orders"], ttlSeconds: 60 }),
    });
    if (response.status !== 200) throw new Error(`minting failed: ${response.status}`);
    return (await response.json<{ token: string }>()).token;
  };
  return { ...tenant, mint };
}

function from(ip: string, credential: string, path = "/v1/tasks?ids=x"): Promise<Response> {
  return api(path, { headers: { authorization: `Bearer ${credential}`, "cf-connecting-ip": ip } });
}

describe("rate limits", () => {
  describe("when requests of one subject are charged by different isolates", () => {
    it("shares the subject's budget at the tenant's limiter, so a fresh token gets 429 with Retry-After", async () => {
      const { tenant, mint } = await limitedTenant({ subject: 2 });
      // Another isolate (or location) serving this tenant charges the same Durable Object.
      const elsewhere = [
        await chargeTenant(env, tenant, [{ key: subjectLimitKey(tenant, "bob"), limit: 2 }]),
        await chargeTenant(env, tenant, [{ key: subjectLimitKey(tenant, "bob"), limit: 2 }]),
      ];
      const refused = await call(await mint("bob"), "POST", "/v1/tasks", {
        tasks: [{ id: "a", topic: "orders", payload: 1 }],
      });
      const other = await call(await mint("carol"), "GET", "/v1/tasks?ids=x");
      expect(elsewhere).toEqual([undefined, undefined]);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
      expect(other.status).toBe(200);
    });
  });

  describe("when one client IP uses several credentials", () => {
    it("limits the IP across them and leaves other IPs alone", async () => {
      const { key, mint } = await limitedTenant({ ip: 2 });
      const statuses = [
        (await from("203.0.113.7", key)).status,
        (await from("203.0.113.7", await mint("dave"))).status,
      ];
      const refused = await from("203.0.113.7", await mint("erin"));
      const elsewhere = await from("198.51.100.9", key);
      expect(statuses).toEqual([200, 200]);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(elsewhere.status).toBe(200);
    });
  });

  describe("when a tenant spends its own budget", () => {
    it("refuses every credential and IP of that tenant, and no other tenant", async () => {
      const { key } = await newTenant({ rates: { tenant: 4 } });
      // Minting is a request of the tenant too: one of its four.
      const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
        subject: "frank",
        topics: ["orders"],
        ttlSeconds: 60,
      });
      const statuses = [
        (await from("203.0.113.1", key)).status,
        (await from("203.0.113.2", token)).status,
        (await from("203.0.113.3", key)).status,
      ];
      const refused = await from("203.0.113.4", token);
      const stranger = await newTenant();
      const unaffected = await from("203.0.113.4", stranger.key);
      expect(statuses).toEqual([200, 200, 200]);
      expect(refused.status).toBe(429);
      expect(unaffected.status).toBe(200);
    });
  });
});
