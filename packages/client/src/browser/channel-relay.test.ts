import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChannelRelay, type RelayBatch, type RelayMessage, relayedMessages } from "./channel-relay.ts";

const event = (type: string, id: string, extra: Record<string, unknown> = {}): RelayMessage => ({
  kind: "event",
  type,
  detail: { id, ...extra },
});

describe("ChannelRelay", () => {
  let posted: RelayBatch[];
  let relay: ChannelRelay;

  beforeEach(() => {
    vi.useFakeTimers();
    posted = [];
    relay = new ChannelRelay({ postMessage: (batch) => posted.push(batch) }, 100);
  });
  afterEach(() => vi.useRealTimers());

  it("posts everything sent within one microtask as one batch, in order", async () => {
    relay.send(event("task.enqueued", "a"));
    relay.send(event("task.enqueued", "b"));
    relay.send({ kind: "purged" });
    expect(posted).toEqual([]);
    await Promise.resolve();
    expect(posted).toEqual([
      {
        kind: "batch",
        messages: [event("task.enqueued", "a"), event("task.enqueued", "b"), { kind: "purged" }],
      },
    ]);
  });

  describe("under load", () => {
    it("posts at most once per batch period: events of later microtasks wait and go together", async () => {
      relay = new ChannelRelay({ postMessage: (batch) => posted.push(batch) }, 100, 10);
      relay.send(event("task.started", "a"));
      await Promise.resolve();
      expect(posted).toHaveLength(1);
      for (const id of ["b", "c", "d"]) {
        relay.send(event("task.started", id));
        await Promise.resolve();
      }
      expect(posted).toHaveLength(1);
      vi.advanceTimersByTime(10);
      expect(posted).toHaveLength(2);
      expect(posted[1]?.messages.map((m) => (m.kind === "event" ? m.detail.id : m.kind))).toEqual([
        "b",
        "c",
        "d",
      ]);
    });
  });

  it("never posts a task's progress ahead of its earlier events, even when held", async () => {
    relay = new ChannelRelay({ postMessage: (batch) => posted.push(batch) }, 100, 10);
    relay.send(event("task.started", "x", { attempt: 1 }));
    await Promise.resolve();
    relay.send(event("task.progress", "x", { progress: 0.2 }));
    relay.send(event("task.failed", "x", { attempt: 1 }));
    relay.send(event("task.started", "x", { attempt: 2 }));
    await Promise.resolve();
    vi.advanceTimersByTime(2);
    relay.send(event("task.progress", "x", { progress: 0.1 }));
    vi.advanceTimersByTime(10);
    expect(posted[1]?.messages).toEqual([
      event("task.failed", "x", { attempt: 1 }),
      event("task.started", "x", { attempt: 2 }),
      event("task.progress", "x", { progress: 0.1 }),
    ]);
  });

  describe("under load, a final event", () => {
    it("goes at the end of its microtask, with what was queued before it, not after the batch period", async () => {
      relay = new ChannelRelay({ postMessage: (batch) => posted.push(batch) }, 100, 10);
      relay.send(event("task.started", "a"));
      await Promise.resolve();
      relay.send(event("task.started", "b"));
      relay.send(event("task.cancelled", "c"));
      await Promise.resolve();
      expect(
        posted.map((batch) => batch.messages.map((m) => (m.kind === "event" ? m.type : m.kind))),
      ).toEqual([["task.started"], ["task.started", "task.cancelled"]]);
    });
  });

  it("holds progress back and sends only the latest value per task when the period ends", async () => {
    for (let percent = 10; percent <= 90; percent += 10)
      relay.send(event("task.progress", "a", { progress: percent / 100 }));
    relay.send(event("task.progress", "b", { progress: 0.5 }));
    await Promise.resolve();
    expect(posted).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.messages.map((m) => (m.kind === "event" ? [m.detail.id, m.type] : m.kind))).toEqual([
      ["a", "task.progress"],
      ["b", "task.progress"],
    ]);
    expect(posted[0]?.messages[0]).toEqual(event("task.progress", "a", { progress: 0.9 }));
  });

  it("sends held progress before a later event, so a completion is never followed by stale progress", async () => {
    relay.send(event("task.progress", "a", { progress: 0.4 }));
    relay.send(event("task.succeeded", "a"));
    await Promise.resolve();
    expect(posted[0]?.messages.map((m) => (m.kind === "event" ? m.type : m.kind))).toEqual([
      "task.progress",
      "task.succeeded",
    ]);
    vi.advanceTimersByTime(1_000);
    expect(posted).toHaveLength(1);
  });

  it("flushes on close and sends nothing afterwards", () => {
    relay.send(event("task.progress", "a", { progress: 0.4 }));
    relay.close();
    relay.send(event("task.enqueued", "b"));
    expect(posted).toHaveLength(1);
  });
});

describe("relayedMessages", () => {
  it("reads a relay batch and ignores anything else on the channel", () => {
    const messages = [event("task.enqueued", "a")];
    expect(relayedMessages({ kind: "batch", messages })).toEqual(messages);
    expect(relayedMessages({ kind: "event", type: "task.enqueued" })).toEqual([]);
    expect(relayedMessages(null)).toEqual([]);
    expect(relayedMessages("batch")).toEqual([]);
  });
});
