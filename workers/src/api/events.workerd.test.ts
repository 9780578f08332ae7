import { describe, expect, it } from "vitest";
import { api, call, ids, json, newTenant, openEvents, submit, topicWith, waitFor } from "../../test/edge.ts";

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
