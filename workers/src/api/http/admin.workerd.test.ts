import { describe, expect, it } from "vitest";
import {
  api,
  call,
  ids,
  json,
  newTenant,
  openEvents,
  submit,
  topicWith,
  waitFor,
} from "../../../test/edge.ts";

describe("topics and subscriptions", () => {
  it("creates and lists topics and subscriptions, and returns a webhook secret only once", async () => {
    const { key } = await newTenant();
    expect(await json(key, "PUT", "/v1/topics/orders", { description: "Orders", ordering: "key" })).toEqual({
      name: "orders",
      description: "Orders",
      ordering: "key",
    });
    expect(await json(key, "GET", "/v1/topics")).toEqual({
      topics: [{ name: "orders", description: "Orders", ordering: "key" }],
    });
    const hook = await json<{ id: string; secret?: string }>(
      key,
      "POST",
      "/v1/topics/orders/subscriptions",
      { kind: "webhook", target: "https://hooks.example.com/errand" },
      201,
    );
    expect(hook.secret).toMatch(/^whsec_/);
    const listed = await json<{ subscriptions: { id: string; secret?: string }[] }>(
      key,
      "GET",
      "/v1/topics/orders/subscriptions",
    );
    expect(listed.subscriptions).toEqual([
      {
        id: hook.id,
        topic: "orders",
        kind: "webhook",
        target: "https://hooks.example.com/errand",
        resultFrom: false,
        onDead: "continue",
      },
    ]);
    const rotated = await json<{ secret: string }>(
      key,
      "POST",
      `/v1/topics/orders/subscriptions/${hook.id}/rotate-secret`,
    );
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(hook.secret);
    await json(key, "DELETE", `/v1/topics/orders/subscriptions/${hook.id}`);
    expect(await json(key, "GET", "/v1/topics/orders/subscriptions")).toEqual({ subscriptions: [] });
    expect((await call(key, "DELETE", `/v1/topics/orders/subscriptions/${hook.id}`)).status).toBe(404);
  });

  it("lets a task waiting only on a deleted subscription finish as delivered, and says so to live sessions", async () => {
    const { key } = await newTenant();
    const [hook] = await topicWith(key, "orders", [
      { kind: "webhook", target: "https://hooks.example.com/x" },
    ]);
    const [id] = ids("orphan", 1) as [string];
    // Opened first: an object that found no admin socket at the hub stops telling it for 2 s.
    const events = await openEvents(key);
    await submit(key, [{ id, topic: "orders", payload: {}, delaySeconds: 3600 }]);
    await json(key, "DELETE", `/v1/topics/orders/subscriptions/${hook?.id}`);
    const view = await json<{ status: string; deliveries: { status: string }[] }>(
      key,
      "GET",
      `/v1/tasks/${id}`,
    );
    expect([view.status, view.deliveries.map((d) => d.status)]).toEqual(["delivered", ["cancelled"]]);
    // The session hears it without asking.
    await waitFor(
      async () => events.messages.find((m) => m.task.id === id && m.task.status === "delivered"),
      5_000,
      "the delivered status pushed",
    );
    events.socket.close();
  });

  it("refuses a queue that wrangler.toml does not declare", async () => {
    const { key } = await newTenant();
    await json(key, "PUT", "/v1/topics/orders", {});
    const response = await call(key, "POST", "/v1/topics/orders/subscriptions", {
      kind: "queue",
      target: "not-declared",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("refuses webhook targets that are not https, private, loopback or the API's own host", async () => {
    const { key } = await newTenant();
    await json(key, "PUT", "/v1/topics/orders", {});
    const refused = [
      "http://hooks.example.com/x",
      "https://10.0.0.5/x",
      "https://192.168.1.1/x",
      "https://169.254.169.254/latest",
      "https://127.0.0.1/x",
      "https://[::1]/x",
      "https://localhost/x",
      "https://api.test/v1/tasks",
      "http://127.0.0.2:8080/x",
      // A trailing dot names the same host.
      "https://localhost./x",
      "https://intranet./x",
      "https://metadata.google.internal./x",
      "https://api.test./x",
      // IPv6 forms of internal addresses: IPv4-compatible, IPv4-mapped and -translated, NAT64 of
      // the metadata address, site-local, multicast, 6to4 of loopback, unique local, link-local.
      "https://[::127.0.0.1]/x",
      "https://[::ffff:10.0.0.1]/x",
      "https://[::ffff:0:10.0.0.1]/x",
      "https://[::ffff:0:169.254.169.254]/x",
      "https://[::ffff:0:7f00:1]/x",
      "https://[64:ff9b::a9fe:a9fe]/x",
      "https://[fec0::1]/x",
      "https://[ff02::1]/x",
      "https://[2002:7f00:1::1]/x",
      "https://[fd00::1]/x",
      "https://[fe80::1]/x",
    ];
    const allowed = [
      "http://127.0.0.1:8999/hook",
      "https://hooks.example.com./x",
      "https://[2606:4700::1111]/x",
      "https://[64:ff9b::808:808]/x",
    ];
    for (const [target, status] of [
      ...refused.map((t) => [t, 400] as const),
      ...allowed.map((t) => [t, 201] as const),
    ]) {
      const response = await call(key, "POST", "/v1/topics/orders/subscriptions", {
        kind: "webhook",
        target,
      });
      expect([target, response.status]).toEqual([target, status]);
    }
  });
});

describe("GET /v1/stats", () => {
  it("counts tasks per topic and deliveries per subscription", async () => {
    const { key } = await newTenant();
    const [sub] = await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const taskIds = ids("stats", 3);
    await submit(
      key,
      taskIds.map((id) => ({ id, topic: "test.effect", payload: {} })),
    );
    const stats = await waitFor(async () => {
      const body = await json<{
        topics: { topic: string; delivered: number }[];
        subscriptions: { subscription: string; delivered: number }[];
      }>(key, "GET", "/v1/stats");
      return body.subscriptions[0]?.delivered === 3 ? body : undefined;
    });
    expect(stats.topics).toEqual([expect.objectContaining({ topic: "test.effect", delivered: 3, dead: 0 })]);
    expect(stats.subscriptions).toEqual([
      expect.objectContaining({ subscription: sub?.id, delivered: 3, pending: 0, inFlight: 0 }),
    ]);
  });
});

describe("CORS", () => {
  it("answers a preflight without credentials for a dev origin, with Access-Control-Max-Age", async () => {
    const response = await api("/v1/tasks", {
      method: "OPTIONS",
      headers: {
        origin: "http://127.0.0.1:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173");
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
  });

  it("allows a tenant's configured origin and refuses others", async () => {
    const { key } = await newTenant({ origins: ["https://app.example.com"] });
    const preflight = await api("/v1/tasks", {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const foreign = await api("/v1/tasks", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.net", "access-control-request-method": "POST" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const read = await api("/v1/tasks?ids=a", {
      headers: { authorization: `Bearer ${key}`, origin: "https://app.example.com" },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const other = await newTenant();
    const refused = await api("/v1/tasks?ids=a", {
      headers: { authorization: `Bearer ${other.key}`, origin: "https://app.example.com" },
    });
    expect(refused.status).toBe(403);
  });

  it("allows a new tenant's origin at once, though a preflight from it was just refused", async () => {
    const origin = `https://app-${crypto.randomUUID().slice(0, 8)}.example.com`;
    const preflight = () =>
      api("/v1/tasks", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    expect((await preflight()).headers.get("access-control-allow-origin")).toBeNull();
    await newTenant({ origins: [origin] });
    expect((await preflight()).headers.get("access-control-allow-origin")).toBe(origin);
  });
});
