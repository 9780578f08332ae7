import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { verifyWebhookSignature } from "../packages/edge/src/webhook-signature.ts";

const SEEDED_ADMIN_KEY = "ek_devadmin_errand-local-admin-key-0001";

async function call<T>(
  credential: string,
  method: string,
  path: string,
  body?: unknown,
  status = 200,
): Promise<T> {
  const response = await fetch(`${inject("edgeUrl")}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${credential}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status !== status) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("the edge on wrangler dev", () => {
  let receiver: Server;
  let receiverUrl = "";
  let secrets: string[] = [];
  const received: { id: string; verified: boolean }[] = [];

  beforeAll(async () => {
    receiver = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const check = await verifyWebhookSignature(
        request.headers["errand-signature"]?.toString(),
        body,
        secrets,
      );
      received.push({ id: request.headers["errand-task-id"]?.toString() ?? "", verified: check.ok });
      response.writeHead(check.ok ? 200 : 401).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it("fans a browser-token task out to the example consumer, a signed webhook on 127.0.0.1 and a live WebSocket", async () => {
    const { key } = await fetch(`${inject("edgeUrl")}/v1/dev/tenants`, { method: "POST", body: "{}" }).then(
      (r) => r.json() as Promise<{ key: string }>,
    );
    await call(key, "PUT", "/v1/topics/demo.echo", {});
    await call(
      key,
      "POST",
      "/v1/topics/demo.echo/subscriptions",
      { kind: "queue", target: "errand-delivery", resultFrom: true },
      201,
    );
    const hook = await call<{ secret: string }>(
      key,
      "POST",
      "/v1/topics/demo.echo/subscriptions",
      { kind: "webhook", target: receiverUrl },
      201,
    );
    secrets = [hook.secret];
    await call(key, "POST", "/v1/topics/demo.echo/subscriptions", { kind: "live", target: "sessions" }, 201);
    const { token } = await call<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "e2e-user",
      topics: ["demo.*"],
      ttlSeconds: 600,
    });

    const { ticket } = await call<{ ticket: string }>(token, "POST", "/v1/events/ticket");
    const socket = new WebSocket(
      `${inject("edgeUrl").replace("http", "ws")}/v1/events?ticket=${encodeURIComponent(ticket)}`,
    );
    const events: { task: { id: string; status: string } }[] = [];
    socket.addEventListener("message", (event) => events.push(JSON.parse(String(event.data))));
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve);
      socket.addEventListener("error", reject);
    });

    const id = `e2e-${crypto.randomUUID()}`;
    const { results } = await call<{ results: { status: string }[] }>(token, "POST", "/v1/tasks", {
      tasks: [{ id, topic: "demo.echo", payload: { from: "e2e" } }],
    });
    expect(results).toEqual([{ id, status: "accepted" }]);

    const view = await poll(async () => {
      const v = await call<{ status: string; result?: unknown }>(token, "GET", `/v1/tasks/${id}`);
      return v.status === "succeeded" ? v : undefined;
    });
    expect(view.result).toEqual({ echo: { from: "e2e" }, by: "example-consumer" });
    await poll(async () => (received.some((r) => r.id === id && r.verified) ? true : undefined));
    await poll(async () =>
      events.some((e) => e.task.id === id && e.task.status === "succeeded") ? true : undefined,
    );
    socket.close();
  });

  it("mints demo tokens from the dev token endpoint for a 127.0.0.1 page, with CORS", async () => {
    const origin = "http://127.0.0.1:5173";
    const preflight = await fetch(`${inject("edgeUrl")}/v1/dev/token`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);
    const response = await fetch(`${inject("edgeUrl")}/v1/dev/token`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ subject: "page-user" }),
    });
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    const { token } = (await response.json()) as { token: string };
    const listed = await call<{ tasks: unknown[] }>(token, "GET", "/v1/tasks?ids=nothing");
    expect(listed.tasks).toEqual([]);
    expect(SEEDED_ADMIN_KEY).toMatch(/^ek_/);
    await call(SEEDED_ADMIN_KEY, "GET", "/v1/topics");
  });
});
