import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, ids, json, newTenant, submit, topicWith, waitFor } from "../../../test/edge.ts";
import { createApp } from "../http/app.ts";

const SEEDED_ADMIN_KEY = "ek_devadmin_errand-local-admin-key-0001";

interface DevStats {
  tenant: string;
  at: number;
  retries: number;
  topics: { topic: string; accepted: number; queued: number; delivered: number; dead: number }[];
  subscriptions: { subscription: string; topic: string; kind: string; delivered: number }[];
}

async function devStats(): Promise<DevStats> {
  const response = await api("/v1/dev/stats");
  expect(response.status).toBe(200);
  return response.json();
}

/** A dev token (what the demo page holds) for `topics`. */
async function devToken(topics: string[]): Promise<string> {
  const response = await api("/v1/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ subject: "stats-user", topics }),
  });
  return ((await response.json()) as { token: string }).token;
}

describe("GET /v1/dev/stats", () => {
  it("answers the dev tenant's stats with no credential, as /v1/stats does for its admin key", async () => {
    const topic = `stats.${crypto.randomUUID().slice(0, 8)}`;
    const [live] = await topicWith(SEEDED_ADMIN_KEY, topic, [{ kind: "live", target: "sessions" }]);
    const token = await devToken([topic]);
    const taskIds = ids("stats", 3);
    await submit(
      token,
      taskIds.map((id) => ({ id, topic, payload: { n: id } })),
    );

    const stats = await waitFor(
      async () => {
        const s = await devStats();
        const sub = s.subscriptions.find((x) => x.subscription === live?.id);
        return s.topics.find((t) => t.topic === topic)?.delivered === 3 && sub?.delivered === 3
          ? s
          : undefined;
      },
      20_000,
      "three delivered tasks and live deliveries in the dev stats",
    );
    expect(stats.tenant).toBe("dev");
    expect(stats.subscriptions).toContainEqual(
      expect.objectContaining({ subscription: live?.id, topic, kind: "live", delivered: 3 }),
    );
    const admin = await json<Pick<DevStats, "topics" | "subscriptions">>(
      SEEDED_ADMIN_KEY,
      "GET",
      "/v1/stats",
    );
    expect(stats.topics.find((t) => t.topic === topic)).toEqual(admin.topics.find((t) => t.topic === topic));
    expect(JSON.stringify(stats)).not.toContain("ek_");
  });

  it("counts delivery attempts after the first as retries", async () => {
    const before = (await devStats()).retries;
    // The example consumer fails every `test.effect` task asked to: each attempt is retried.
    const topic = "test.effect";
    await topicWith(SEEDED_ADMIN_KEY, topic, [{ kind: "queue", target: "errand-delivery" }]);
    await submit(await devToken([topic]), [{ id: ids("retry", 1)[0], topic, payload: { failRate: 1 } }]);
    const after = await waitFor(
      async () => {
        const { retries } = await devStats();
        return retries > before ? retries : undefined;
      },
      20_000,
      "a retried webhook delivery",
    );
    expect(after).toBeGreaterThan(before);
  });

  it("leaves out every other tenant's topics and tasks", async () => {
    const { key } = await newTenant();
    const topic = `other.${crypto.randomUUID().slice(0, 8)}`;
    await topicWith(key, topic, [{ kind: "live", target: "sessions" }]);
    await submit(key, [{ id: ids("other", 1)[0], topic, payload: {} }]);
    await waitFor(async () => {
      const own = await json<{ topics: { topic: string; delivered: number }[] }>(key, "GET", "/v1/stats");
      return own.topics.find((t) => t.topic === topic)?.delivered === 1 ? true : undefined;
    });
    const stats = await devStats();
    expect(stats.topics.map((t) => t.topic)).not.toContain(topic);
    expect(stats.subscriptions.map((s) => s.topic)).not.toContain(topic);
  });

  it("does not exist in the production API, not even for an admin key", async () => {
    const production = createApp();
    const request = new Request("http://api.test/v1/dev/stats", {
      headers: { authorization: `Bearer ${SEEDED_ADMIN_KEY}` },
    });
    const response = await production.fetch(request, env);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("GET /v1/dev/latency", () => {
  it("counts the tenant's delivered tasks with ?count, as the full answer does with latencies", async () => {
    const { key } = await newTenant();
    const topic = `latency.${crypto.randomUUID().slice(0, 8)}`;
    await topicWith(key, topic, [{ kind: "live", target: "sessions" }]);
    const sentAt = Date.now();
    await submit(
      key,
      ids("latency", 3).map((id) => ({ id, topic, payload: { sentAt } })),
    );
    const count = await waitFor(async () => {
      const { count } = await json<{ count: number }>(key, "GET", "/v1/dev/latency?count");
      return count === 3 ? count : undefined;
    });
    const full = await json<{ count: number; latencies: number[] }>(key, "GET", "/v1/dev/latency");
    expect(full.count).toBe(count);
    expect(full.latencies).toHaveLength(3);
    for (const latency of full.latencies) expect(latency).toBeGreaterThanOrEqual(0);
    const other = await newTenant();
    expect(await json(other.key, "GET", "/v1/dev/latency?count")).toEqual({ count: 0 });
  });

  it("refuses a request with no credential", async () => {
    const response = await api("/v1/dev/latency?count");
    expect(response.status).toBe(401);
  });
});

describe("GET /v1/dev/completed", () => {
  it("counts the tenant's deliveries reported completed by a consumer, and no other tenant's", async () => {
    const { key } = await newTenant();
    const topic = "test.effect";
    await topicWith(key, topic, [{ kind: "queue", target: "errand-delivery" }]);
    await submit(
      key,
      ids("completed", 3).map((id) => ({ id, topic, payload: {} })),
    );
    const completed = await waitFor(async () => {
      const answer = await json<{ completed: number }>(key, "GET", "/v1/dev/completed");
      return answer.completed === 3 ? answer.completed : undefined;
    });
    expect(completed).toBe(3);
    const other = await newTenant();
    expect(await json(other.key, "GET", "/v1/dev/completed")).toEqual({ completed: 0 });
  });

  it("refuses a request with no credential", async () => {
    const response = await api("/v1/dev/completed");
    expect(response.status).toBe(401);
  });
});

describe("when a dev route's body is any JSON value", () => {
  it("answers 2xx or 4xx, never 5xx", async () => {
    const { key } = await newTenant();
    const routes = ["/v1/dev/token", "/v1/dev/tenants", "/v1/dev/repair", "/v1/dev/faults"];
    const bodies = [
      "null",
      "[null]",
      '"x"',
      "1",
      '{"rules":[null]}',
      '{"rules":[1]}',
      '{"rules":null}',
      "{nope",
    ];
    const answers = [];
    for (const path of routes) {
      for (const body of bodies) {
        const response = await api(path, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body,
        });
        answers.push([path, body, response.status < 500 ? "no 5xx" : response.status]);
      }
    }
    expect(answers).toEqual(answers.map(([path, body]) => [path, body, "no 5xx"]));
  });
});
