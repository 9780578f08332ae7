import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, newTenant } from "../../../test/edge.ts";
import { createApp } from "../http/app.ts";

/** A key of the right shape that was never minted. */
const madeUpKey = () => `ek_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}_${crypto.randomUUID()}`;

const from = (ip: string, credential: string) =>
  api("/v1/tasks?ids=x", { headers: { authorization: `Bearer ${credential}`, "cf-connecting-ip": ip } });

describe("failed authentication", () => {
  // The addresses a client sends from: one IPv4 address, or any of its IPv6 /64.
  describe.each([
    { client: "one IPv4 address", address: () => "198.51.100.61", other: "198.51.100.62" },
    {
      client: "the addresses of one IPv6 /64",
      address: () => `2001:db8:61:1:${Math.floor(Math.random() * 0xffff).toString(16)}::1`,
      other: "2001:db8:61:2::1",
    },
  ])("when $client keeps sending made-up keys", ({ address, other }) => {
    it("answers 429 rate_limited with Retry-After once it is over its budget, and 401 elsewhere", async () => {
      const { key } = await newTenant();
      // 60 failures a minute; the binding's windows follow the clock, so one may end midway.
      const statuses: number[] = [];
      let refused: Response | undefined;
      while (!refused && statuses.length < 121) {
        const response = await from(address(), madeUpKey());
        statuses.push(response.status);
        if (response.status === 429) refused = response;
      }
      expect(new Set(statuses.slice(0, -1))).toEqual(new Set([401]));
      expect(refused?.status).toBe(429);
      expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused?.json()).toMatchObject({ error: { code: "rate_limited" } });
      // Its next made-up key is refused at once, another address is not, nor a valid key from it.
      expect((await from(address(), madeUpKey())).status).toBe(429);
      expect((await from(other, madeUpKey())).status).toBe(401);
      expect((await from(other, key)).status).toBe(200);
    });
  });

  describe("when one made-up key is sent again and again", () => {
    it("reads the key table once while the miss is cached", async () => {
      let keyReads = 0;
      const db = new Proxy(env.DB, {
        get(target, property) {
          if (property === "prepare") {
            return (sql: string) => {
              if (sql.includes("FROM api_keys")) keyReads++;
              return target.prepare(sql);
            };
          }
          const value = Reflect.get(target, property);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const app = createApp();
      const key = madeUpKey();
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const request = new Request("http://api.test/v1/tasks?ids=x", {
          headers: { authorization: `Bearer ${key}`, "cf-connecting-ip": "198.51.100.63" },
        });
        statuses.push((await app.fetch(request, { ...env, DB: db })).status);
      }
      expect([statuses, keyReads]).toEqual([[401, 401, 401], 1]);
    });
  });
});
