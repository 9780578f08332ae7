import { beforeAll, describe, expect, it } from "vitest";
import { api, call, ids, json, newTenant, subjectSql, submit, topicWith } from "../../test/edge.ts";

let key: string;
let tenant: string;

beforeAll(async () => {
  ({ tenant, key } = await newTenant());
  await topicWith(key, "orders", []);
});

describe("POST /v1/tasks", () => {
  it("accepts new tasks, one result per item in order, stored in its subject's object before it answers", async () => {
    const [a, b] = ids("accept", 2) as [string, string];
    const results = await submit(key, [
      { id: a, topic: "orders", payload: { n: 1 } },
      { id: b, topic: "orders", payload: { n: 2 }, orderingKey: "k", delaySeconds: 0 },
    ]);
    expect(results).toEqual([
      { id: a, status: "accepted" },
      { id: b, status: "accepted" },
    ]);
    const stored = await subjectSql(
      tenant,
      "",
      "SELECT id, payload FROM tasks WHERE id IN (?, ?) ORDER BY key",
      a,
      b,
    );
    expect(stored).toEqual([
      { id: a, payload: '{"n":1}' },
      { id: b, payload: '{"n":2}' },
    ]);
  });

  describe("when an id or dedup key was already accepted", () => {
    it("answers duplicate for the same payload and stores nothing new", async () => {
      const [a] = ids("dup", 1) as [string];
      await submit(key, [{ id: a, topic: "orders", payload: { n: 1 } }]);
      expect(await submit(key, [{ id: a, topic: "orders", payload: { n: 1 } }])).toEqual([
        { id: a, status: "duplicate" },
      ]);
      const [count] = await subjectSql<{ n: number }>(
        tenant,
        "",
        "SELECT count(*) AS n FROM tasks WHERE id = ?",
        a,
      );
      expect(count?.n).toBe(1);
    });

    it("rejects the same id with another payload as id_conflict", async () => {
      const [a] = ids("conflict", 1) as [string];
      await submit(key, [{ id: a, topic: "orders", payload: { n: 1 } }]);
      const [result] = await submit(key, [{ id: a, topic: "orders", payload: { n: 2 } }]);
      expect(result).toMatchObject({ id: a, status: "rejected", error: { code: "id_conflict" } });
    });

    it("answers duplicate for a reused dedup key, in storage and within one batch, naming its holder", async () => {
      const [a, b, c] = ids("dedup", 3) as [string, string, string];
      const dedupKey = `dk-${a}`;
      await submit(key, [{ id: a, topic: "orders", payload: 1, dedupKey }]);
      expect(
        await submit(key, [
          { id: b, topic: "orders", payload: 2, dedupKey },
          { id: c, topic: "orders", payload: 3, dedupKey: `${dedupKey}-new` },
          { id: `${c}-x`, topic: "orders", payload: 4, dedupKey: `${dedupKey}-new` },
        ]),
      ).toEqual([
        { id: b, status: "duplicate", duplicateOf: a },
        { id: c, status: "accepted" },
        { id: `${c}-x`, status: "duplicate", duplicateOf: c },
      ]);
    });
  });

  it("stores exactly the items it answers accepted when one batch mixes every outcome", async () => {
    // One transaction reads what the answers are planned from and stores the candidates; the
    // items below are the ones where the store's own rule (topic exists, id and dedup key free)
    // and the plan could part: an item refused first and accepted again later in the batch, a
    // dedup key freed because the item holding it was refused.
    const [x, y, z, w, v] = ids("mixed", 5) as [string, string, string, string, string];
    const freedKey = `dk-${w}`;
    await submit(key, [{ id: z, topic: "orders", payload: { n: 0 } }]);
    const results = await submit(key, [
      { id: x, topic: "orders", payload: { n: 1 } },
      { id: x, topic: "orders", payload: { n: 1 } },
      { id: x, topic: "orders", payload: { n: 2 } },
      { id: y, topic: "nowhere", payload: { n: 3 } },
      { id: y, topic: "orders", payload: { n: 4 } },
      { id: z, topic: "orders", payload: { n: 5 }, dedupKey: freedKey },
      { id: w, topic: "orders", payload: { n: 6 }, dedupKey: freedKey },
      { id: v, topic: "Not A Topic", payload: {} },
    ]);
    expect(results.map((r) => `${r.id}:${r.error?.code ?? r.status}`)).toEqual([
      `${x}:accepted`,
      `${x}:duplicate`,
      `${x}:id_conflict`,
      `${y}:unknown_topic`,
      `${y}:accepted`,
      `${z}:id_conflict`,
      `${w}:accepted`,
      `${v}:invalid_task`,
    ]);
    const stored = await subjectSql(
      tenant,
      "",
      "SELECT id, payload, dedup_key FROM tasks WHERE id IN (?, ?, ?, ?, ?) ORDER BY key",
      x,
      y,
      z,
      w,
      v,
    );
    expect(stored).toEqual([
      { id: z, payload: '{"n":0}', dedup_key: null },
      { id: x, payload: '{"n":1}', dedup_key: null },
      { id: y, payload: '{"n":4}', dedup_key: null },
      { id: w, payload: '{"n":6}', dedup_key: freedKey },
    ]);
  });

  describe("when an item is bad", () => {
    it("rejects it alone with invalid_task, message_too_large, topic_forbidden or unknown_topic", async () => {
      const [ok, bad, big, unknown] = ids("items", 4) as [string, string, string, string];
      const { key: narrow } = await json<{ key: string }>(
        key,
        "POST",
        "/v1/keys",
        { scopes: ["publish"], topics: ["other.*"] },
        201,
      );
      const results = await submit(key, [
        { id: ok, topic: "orders", payload: {} },
        { id: bad, topic: "Not A Topic", payload: {} },
        { id: big, topic: "orders", payload: "x".repeat(140_000) },
        { id: unknown, topic: "nowhere", payload: {} },
      ]);
      expect(results.map((r) => r.error?.code ?? r.status)).toEqual([
        "accepted",
        "invalid_task",
        "message_too_large",
        "unknown_topic",
      ]);
      const [forbidden] = await submit(narrow, [{ id: `${ok}-f`, topic: "orders", payload: {} }]);
      expect(forbidden?.error?.code).toBe("topic_forbidden");
    });

    it("rejects a key that is not well-formed Unicode, which storage could not keep as sent", async () => {
      // A lone surrogate would be stored as invalid UTF-8 and read back as U+FFFD: the dedup
      // check in storage and the one in the answer would then disagree.
      const [a, b] = ids("surrogate", 2) as [string, string];
      const results = await submit(key, [
        { id: a, topic: "orders", payload: 1, dedupKey: "k\ud800" },
        { id: b, topic: "orders", payload: 2, dedupKey: "k\ufffd\ufffd\ufffd" },
      ]);
      expect(results.map((r) => r.error?.code ?? r.status)).toEqual(["invalid_task", "accepted"]);
      const stored = await subjectSql(tenant, "", "SELECT id FROM tasks WHERE id IN (?, ?)", a, b);
      expect(stored).toEqual([{ id: b }]);
    });
  });

  describe("when the request is bad", () => {
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      api("/v1/tasks", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body,
      });

    it("answers 401 unauthorized without a valid credential", async () => {
      for (const authorization of [
        "",
        "Bearer ek_unknownid_aaaaaaaaaaaaaaaaaaaa",
        "Bearer et1.forged.token",
      ]) {
        const response = await api("/v1/tasks", {
          method: "POST",
          headers: { authorization, "content-type": "application/json" },
          body: JSON.stringify({ tasks: [] }),
        });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: { code: "unauthorized" } });
      }
    });

    // Media type, size, UTF-8 and JSON syntax: json-body.workerd.test.ts, for every JSON route.
    it("answers 400 invalid_request without a tasks array, or with 0 or over 100 items", async () => {
      for (const body of [{}, { tasks: [] }, { tasks: Array.from({ length: 101 }, () => ({})) }]) {
        const response = await post(JSON.stringify(body));
        expect([response.status, (await response.json<{ error: { code: string } }>()).error.code]).toEqual([
          400,
          "invalid_request",
        ]);
      }
    });

    it("answers 429 rate_limited with Retry-After once a subject spends its budget, even with a fresh token", async () => {
      const { key: limited } = await newTenant({ rates: { subject: 3 } });
      await topicWith(limited, "orders", []);
      const mint = () =>
        json<{ token: string }>(limited, "POST", "/v1/tokens", {
          subject: "alice",
          topics: ["orders"],
          ttlSeconds: 60,
        });
      const first = (await mint()).token;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call(first, "GET", "/v1/tasks?ids=x")).status);
      const fresh = (await mint()).token;
      const refused = await call(fresh, "POST", "/v1/tasks", {
        tasks: [{ id: "a", topic: "orders", payload: 1 }],
      });
      expect(statuses).toEqual([200, 200, 200]);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    });
  });
});

describe("POST /v1/tokens", () => {
  it("mints a token bound to a subject and topics, expiring within 24 h", async () => {
    const before = Date.now();
    const body = await json<{ token: string; expiresAt: string }>(key, "POST", "/v1/tokens", {
      subject: "alice",
      topics: ["orders"],
      ttlSeconds: 600,
    });
    expect(body.token).toMatch(/^et1\./);
    expect(Date.parse(body.expiresAt) - before).toBeGreaterThanOrEqual(599_000);
    expect(Date.parse(body.expiresAt) - before).toBeLessThanOrEqual(601_000);
  });

  it("answers 400 invalid_request for a ttl over 24 h or no topics", async () => {
    for (const request of [
      { subject: "a", topics: ["orders"], ttlSeconds: 86_401 },
      { subject: "a", topics: [], ttlSeconds: 60 },
    ]) {
      const response = await call(key, "POST", "/v1/tokens", request);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
  });

  it("answers 403 forbidden to a key without admin scope and to a token", async () => {
    const { key: publisher } = await json<{ key: string }>(
      key,
      "POST",
      "/v1/keys",
      { scopes: ["publish", "read"] },
      201,
    );
    const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "a",
      topics: ["orders"],
      ttlSeconds: 60,
    });
    for (const credential of [publisher, token]) {
      const response = await call(credential, "POST", "/v1/tokens", {
        subject: "b",
        topics: ["orders"],
        ttlSeconds: 60,
      });
      expect(response.status).toBe(403);
    }
  });

  it("gives a token that publishes only to its topics and expires", async () => {
    const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "bob",
      topics: ["orders"],
      ttlSeconds: 1,
    });
    await topicWith(key, "payments", []);
    const [a, b] = ids("scope", 2) as [string, string];
    expect(
      (
        await submit(token, [
          { id: a, topic: "orders", payload: 1 },
          { id: b, topic: "payments", payload: 1 },
        ])
      ).map((r) => r.error?.code ?? r.status),
    ).toEqual(["accepted", "topic_forbidden"]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call(token, "GET", `/v1/tasks/${a}`)).status).toBe(401);
  });
});
