import { describe, expect, it } from "vitest";
import { call, ids, json, newTenant, submit, topicWith, type View, views, waitFor } from "../../test/edge.ts";

async function tokenFor(key: string, subject: string): Promise<string> {
  return (
    await json<{ token: string }>(key, "POST", "/v1/tokens", { subject, topics: ["notes"], ttlSeconds: 600 })
  ).token;
}

describe("reading tasks", () => {
  it("answers GET /v1/tasks/:id with status and deliveries, and GET /v1/tasks?ids= leaving unknown ids out", async () => {
    const { key } = await newTenant();
    await topicWith(key, "notes", []);
    const [a, b] = ids("read", 2) as [string, string];
    await submit(key, [
      { id: a, topic: "notes", payload: 1 },
      { id: b, topic: "notes", payload: 2 },
    ]);
    const one = await json<View>(key, "GET", `/v1/tasks/${a}`);
    expect(one).toMatchObject({ id: a, topic: "notes", status: "delivered", attempts: 0, deliveries: [] });
    expect((await views(key, [a, "nope", b])).map((t) => t.id)).toEqual([a, b]);
    expect((await call(key, "GET", "/v1/tasks/nope")).status).toBe(404);
    expect((await call(key, "GET", "/v1/tasks?ids=")).status).toBe(400);
  });
});

describe("tenant isolation", () => {
  it("keeps tenant B from reading, publishing to or replaying tenant A's tasks", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await topicWith(a.key, "notes", []);
    const [id] = ids("iso", 1) as [string];
    await submit(a.key, [{ id, topic: "notes", payload: 1 }]);
    expect((await call(b.key, "GET", `/v1/tasks/${id}`)).status).toBe(404);
    expect(await views(b.key, [id])).toEqual([]);
    expect((await call(b.key, "POST", `/v1/tasks/${id}/cancel`)).status).toBe(404);
    const [result] = await submit(b.key, [{ id: `${id}-b`, topic: "notes", payload: 1 }]);
    expect(result?.error?.code).toBe("unknown_topic");
    expect((await call(b.key, "GET", "/v1/topics/notes/subscriptions")).status).toBe(404);
    const letters = await json<{ deadLetters: { id: string }[] }>(a.key, "GET", "/v1/dead-letters");
    for (const letter of letters.deadLetters) {
      expect((await call(b.key, "POST", `/v1/dead-letters/${letter.id}/replay`)).status).toBe(404);
    }
    expect((await call(b.key, "POST", "/v1/dead-letters/some-id/replay")).status).toBe(404);
  });
});

describe("subject isolation", () => {
  it("keeps subject B from reading, cancelling or deduping against subject A's tasks", async () => {
    const { key } = await newTenant();
    await topicWith(key, "notes", []);
    const alice = await tokenFor(key, "alice");
    const bob = await tokenFor(key, "bob");
    const [id] = ids("subj", 1) as [string];
    expect(await submit(alice, [{ id, topic: "notes", payload: "alice's", dedupKey: "same" }])).toEqual([
      { id, status: "accepted" },
    ]);
    expect((await call(bob, "GET", `/v1/tasks/${id}`)).status).toBe(404);
    expect(await views(bob, [id])).toEqual([]);
    expect((await call(bob, "POST", `/v1/tasks/${id}/cancel`)).status).toBe(404);
    // Bob's task with the same id and dedup key is his own, not a duplicate of Alice's.
    expect(await submit(bob, [{ id, topic: "notes", payload: "bob's", dedupKey: "same" }])).toEqual([
      { id, status: "accepted" },
    ]);
    expect((await json<View>(alice, "GET", `/v1/tasks/${id}`)).id).toBe(id);
    // A key with read scope reads any subject of its tenant, once the subjects' objects have fed
    // the tenant's task index (within FEED_SECONDS; at once in the test environment).
    await waitFor(async () =>
      (await call(key, "GET", `/v1/tasks/${id}`)).status === 200 ? true : undefined,
    );
  });
});

describe("scopes", () => {
  it("answers 403 forbidden for reads without read scope and for admin routes without admin scope", async () => {
    const { key } = await newTenant();
    const { key: publisher } = await json<{ key: string }>(
      key,
      "POST",
      "/v1/keys",
      { scopes: ["publish"] },
      201,
    );
    expect((await call(publisher, "GET", "/v1/tasks/x")).status).toBe(403);
    for (const [method, path] of [
      ["PUT", "/v1/topics/x"],
      ["GET", "/v1/topics"],
      ["GET", "/v1/dead-letters"],
      ["GET", "/v1/stats"],
      ["POST", "/v1/keys"],
    ] as const) {
      const response = await call(publisher, method, path, method === "GET" ? undefined : {});
      expect([path, response.status]).toEqual([path, 403]);
    }
  });

  it("lets a publish key cancel only the server's tasks on topics it may publish to", async () => {
    const { key } = await newTenant();
    await topicWith(key, "mine", [{ kind: "webhook", target: "https://hooks.example.com/a" }]);
    await topicWith(key, "theirs", [{ kind: "webhook", target: "https://hooks.example.com/b" }]);
    const [own, other, users] = ids("scoped-cancel", 3) as [string, string, string];
    await submit(key, [
      { id: own, topic: "mine", payload: {}, delaySeconds: 3600 },
      { id: other, topic: "theirs", payload: {}, delaySeconds: 3600 },
    ]);
    const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "user-1",
      topics: ["mine"],
      ttlSeconds: 600,
    });
    await submit(token, [{ id: users, topic: "mine", payload: {}, delaySeconds: 3600 }]);
    const { key: publisher } = await json<{ key: string }>(
      key,
      "POST",
      "/v1/keys",
      { scopes: ["publish"], topics: ["mine"] },
      201,
    );
    expect((await call(publisher, "POST", `/v1/tasks/${other}/cancel`)).status).toBe(404);
    expect((await call(publisher, "POST", `/v1/tasks/${users}/cancel`)).status).toBe(404);
    expect((await call(publisher, "POST", `/v1/tasks/${own}/cancel`)).status).toBe(200);
    const all = await waitFor(async () => {
      const list = await views(key, [own, other, users]);
      return list.length === 3 ? list : undefined;
    });
    expect(all.map((v) => v.status)).toEqual(["cancelled", "queued", "queued"]);
  });

  it("answers 400 invalid_request to a key request whose body is not an object", async () => {
    const { key } = await newTenant();
    for (const body of [null, [], "publish", 7]) {
      const response = await call(key, "POST", "/v1/keys", body);
      expect([body, response.status, await response.json()]).toMatchObject([
        body,
        400,
        { error: { code: "invalid_request" } },
      ]);
    }
  });

  it("stops honouring a revoked key", async () => {
    const { key } = await newTenant();
    const made = await json<{ id: string; key: string }>(key, "POST", "/v1/keys", { scopes: ["read"] }, 201);
    expect((await call(made.key, "GET", "/v1/tasks?ids=a")).status).toBe(200);
    await json(key, "DELETE", `/v1/keys/${made.id}`);
    expect((await call(made.key, "GET", "/v1/tasks?ids=a")).status).toBe(401);
  });
});
