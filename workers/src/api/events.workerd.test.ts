import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, call, ids, json, newTenant, openEvents, submit, topicWith, waitFor } from "../../test/edge.ts";
import { tokenSecrets } from "./auth/client-token.ts";
import { signTicket } from "./auth/event-ticket.ts";

const openWith = (ticket: string) =>
  api(`/v1/events?ticket=${encodeURIComponent(ticket)}`, { headers: { upgrade: "websocket" } });

describe("live events", () => {
  it("answers 401 to a ticket request without a credential and to a reused ticket", async () => {
    expect((await api("/v1/events/ticket", { method: "POST" })).status).toBe(401);
    const { key } = await newTenant();
    const { ticket } = await json<{ ticket: string }>(key, "POST", "/v1/events/ticket");
    const first = await api(`/v1/events?ticket=${encodeURIComponent(ticket)}`, {
      headers: { upgrade: "websocket" },
    });
    expect(first.status).toBe(101);
    first.webSocket?.accept();
    first.webSocket?.close();
    const second = await api(`/v1/events?ticket=${encodeURIComponent(ticket)}`, {
      headers: { upgrade: "websocket" },
    });
    expect(second.status).toBe(401);
    const forged = await api(`/v1/events?ticket=${encodeURIComponent(`${ticket}x`)}`, {
      headers: { upgrade: "websocket" },
    });
    expect(forged.status).toBe(401);
  });

  it("refuses a ticket it never signed, or one past its expiry, without reaching any hub", async () => {
    const { tenant } = await newTenant();
    const [secret] = tokenSecrets(env);
    const now = Date.now();
    const stranger = `t_${crypto.randomUUID().replaceAll("-", "")}`;
    const made = [
      // The shape of a real ticket, signed under another secret, for a tenant nobody made.
      await signTicket("not-the-worker-secret-at-all", stranger, now + 60_000),
      // Signed by the Worker's secret, but expired.
      await signTicket(secret as string, stranger, now - 1),
      // A real tenant's expired ticket, and one whose tenant was swapped after signing.
      await signTicket(secret as string, tenant, now - 1),
      (await signTicket(secret as string, tenant, now + 60_000)).replace(tenant, stranger),
      `${stranger}.x`,
    ];
    for (const ticket of made) expect((await openWith(ticket)).status, ticket).toBe(401);
    const hubs = (await listDurableObjectIds(env.HUB)).map((id) => id.toString());
    expect(hubs).not.toContain(env.HUB.idFromName(stranger).toString());
    expect(hubs).not.toContain(env.HUB.idFromName(tenant).toString());
  });

  it("closes the sockets of a revoked key with 4401, spends its unused tickets and refuses new ones, leaving the others open", async () => {
    const { tenant, key } = await newTenant();
    const other = await json<{ id: string; key: string }>(
      key,
      "POST",
      "/v1/keys",
      {
        scopes: ["read"],
        topics: ["notes"],
        name: "revoked soon",
      },
      201,
    );
    const doomed = await openEvents(other.key);
    const { ticket: unused } = await json<{ ticket: string }>(other.key, "POST", "/v1/events/ticket");
    const kept = await openEvents(key);
    await json(key, "DELETE", `/v1/keys/${other.id}`);
    const closed = await Promise.race([
      doomed.closed,
      new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: -1 }), 20_000)),
    ]);
    expect(closed.code).toBe(4401);
    expect((await openWith(unused)).status).toBe(401);
    // A ticket asked for with the key as another isolate's cache still knows it: refused by the hub.
    const hub = env.HUB.get(env.HUB.idFromName(tenant));
    expect(await hub.issueTicket("late", Date.now() + 60_000, { expiresAt: null, keyId: other.id })).toBe(
      false,
    );
    // A second DELETE answers 404 as before (it calls the hub again, which changes nothing now).
    expect((await call(key, "DELETE", `/v1/keys/${other.id}`)).status).toBe(404);
    kept.socket.send("ping");
    await waitFor(async () => kept.messages.find((m) => m.type === "pong"));
    kept.socket.close();
  });

  it("closes a key's sockets on a repeated DELETE, when the first revoked it in D1 but never reached the hub", async () => {
    const { key } = await newTenant();
    const other = await json<{ id: string; key: string }>(
      key,
      "POST",
      "/v1/keys",
      { scopes: ["read"], topics: ["notes"], name: "half revoked" },
      201,
    );
    const socket = await openEvents(other.key);
    // The first DELETE's D1 write, without its hub call.
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), other.id).run();
    expect((await call(key, "DELETE", `/v1/keys/${other.id}`)).status).toBe(404);
    const closed = await Promise.race([
      socket.closed,
      new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: -1 }), 20_000)),
    ]);
    expect(closed.code).toBe(4401);
  });

  it("pushes a subject's task statuses to that subject and the admin, never to another subject", async () => {
    const { key } = await newTenant();
    await topicWith(key, "notes", [{ kind: "queue", target: "errand-delivery" }]);
    const token = async (subject: string) =>
      (
        await json<{ token: string }>(key, "POST", "/v1/tokens", {
          subject,
          topics: ["notes"],
          ttlSeconds: 600,
        })
      ).token;
    const alice = await token("alice");
    const aliceEvents = await openEvents(alice);
    const bobEvents = await openEvents(await token("bob"));
    const adminEvents = await openEvents(key);
    const [id] = ids("live", 1) as [string];
    await submit(alice, [{ id, topic: "notes", payload: 1 }]);
    // "notes" has no handler in the example consumer: the delivery goes dead at once.
    const final = (list: typeof aliceEvents.messages) =>
      list.find((m) => m.task.id === id && m.task.status === "dead");
    await waitFor(async () => final(aliceEvents.messages));
    await waitFor(async () => final(adminEvents.messages));
    expect(aliceEvents.messages.every((m) => m.type === "task.status")).toBe(true);
    expect(bobEvents.messages.filter((m) => m.task.id === id)).toEqual([]);
    for (const events of [aliceEvents, bobEvents, adminEvents]) events.socket.close();
  });

  it("opens a socket for a subject of 255 or 256 characters, which hears its own tasks only", async () => {
    const { key } = await newTenant();
    await topicWith(key, "notes", [{ kind: "live", target: "sessions" }]);
    // Two subjects of the longest lengths the contract allows, alike but for their last character.
    const subjects = ["a".repeat(255), `${"a".repeat(255)}b`, `${"a".repeat(255)}c`];
    const tokens = await Promise.all(
      subjects.map(
        async (subject) =>
          (
            await json<{ token: string }>(key, "POST", "/v1/tokens", {
              subject,
              topics: ["notes"],
              ttlSeconds: 600,
            })
          ).token,
      ),
    );
    const sockets = [];
    for (const token of tokens) sockets.push(await openEvents(token));
    const [id] = ids("long", 1) as [string];
    await submit(tokens[1] as string, [{ id, topic: "notes", payload: 1 }]);
    const [short, long, other] = sockets as [(typeof sockets)[0], (typeof sockets)[0], (typeof sockets)[0]];
    await waitFor(async () => long.messages.find((m) => m.task.id === id && m.task.status === "delivered"));
    expect([...short.messages, ...other.messages].filter((m) => m.task.id === id)).toEqual([]);
    for (const events of sockets) events.socket.close();
  });

  it("opens one socket when one ticket is used six times at once", async () => {
    const { key } = await newTenant();
    const { ticket } = await json<{ ticket: string }>(key, "POST", "/v1/events/ticket");
    const responses = await Promise.all(Array.from({ length: 6 }, () => openWith(ticket)));
    expect(responses.map((r) => r.status).sort()).toEqual([101, 401, 401, 401, 401, 401]);
    for (const response of responses) {
      response.webSocket?.accept();
      response.webSocket?.close();
    }
  });

  it("leaves a ticket unspent when its socket could not be accepted, so the retry opens it", async () => {
    const { tenant, key } = await newTenant();
    const { ticket } = await json<{ ticket: string }>(key, "POST", "/v1/events/ticket");
    const hub = env.HUB.get(env.HUB.idFromName(tenant));
    const accept = await runInDurableObject(hub, (_, state) => {
      const original = state.acceptWebSocket.bind(state);
      state.acceptWebSocket = () => {
        throw new Error("the runtime refused the socket");
      };
      return original;
    });
    const failed = await openWith(ticket);
    await runInDurableObject(hub, (_, state) => {
      state.acceptWebSocket = accept;
    });
    const retried = await openWith(ticket);
    expect([failed.status, retried.status]).toEqual([500, 101]);
    retried.webSocket?.accept();
    retried.webSocket?.close();
  });

  it("closes the socket with 4401 when the token behind it expires", async () => {
    const { key } = await newTenant();
    const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "s",
      topics: ["notes"],
      // Long enough to open the socket even when the host pauses this machine for seconds
      // (a 2 s token had expired before its ticket was asked for).
      ttlSeconds: 10,
    });
    const events = await openEvents(token);
    const closed = await Promise.race([
      events.closed,
      new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: -1 }), 50_000)),
    ]);
    expect(closed.code).toBe(4401);
    expect((await call(token, "POST", "/v1/events/ticket")).status).toBe(401);
  });
});
