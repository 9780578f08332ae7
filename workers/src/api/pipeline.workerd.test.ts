import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, ids, json, newTenant, submit, topicWith, waitFor } from "../../test/edge.ts";

describe("the API Worker in workerd", () => {
  it("answers its public health route to any origin", async () => {
    const response = await api("/v1/health", { headers: { origin: "https://anywhere.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.json()).toMatchObject({ ok: true, service: "errand-api", env: "test" });
  });

  it("carries a task from an HTTP request through hono to its subject's object, which stores it and feeds the task index", async () => {
    const { key } = await newTenant();
    await topicWith(key, "harness", []);
    const [id] = ids("harness", 1) as [string];
    const { token: client } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "harness-user",
      topics: ["harness"],
      ttlSeconds: 600,
    });
    expect(await submit(client, [{ id, topic: "harness", payload: { hello: "edge" } }])).toEqual([
      { id, status: "accepted" },
    ]);
    // The object feeds the tenant's task index in D1, which admin reads by id go through.
    const view = await waitFor(async () => {
      const response = await api(`/v1/tasks/${id}`, { headers: { authorization: `Bearer ${key}` } });
      return response.status === 200 ? response.json<{ id: string; status: string }>() : undefined;
    });
    expect(view).toMatchObject({ id, status: "delivered" });
  });

  it("round-trips a Durable Object whose SQLite storage persists between calls", async () => {
    const name = `ping-${crypto.randomUUID()}`;
    const stub = env.HUB.get(env.HUB.idFromName(name));
    expect(await stub.ping()).toBe(1);
    expect(await stub.ping()).toBe(2);
    const other = env.HUB.get(env.HUB.idFromName(`${name}-other`));
    expect(await other.ping()).toBe(1);
  });

  it("delivers a task to the example consumer Worker, which commits its effect and reports the result", async () => {
    const { key } = await newTenant();
    await topicWith(key, "demo.echo", [{ kind: "queue", target: "errand-delivery", resultFrom: true }]);
    const [id] = ids("echo", 1) as [string];
    await submit(key, [{ id, topic: "demo.echo", payload: { n: 1 } }]);
    const view = await waitFor(async () => {
      const response = await api(`/v1/tasks/${id}`, { headers: { authorization: `Bearer ${key}` } });
      const body = await response.json<{ status: string; result?: unknown }>();
      return body.status === "succeeded" ? body : undefined;
    });
    expect(view.result).toEqual({ echo: { n: 1 }, by: "example-consumer" });
  });
});
