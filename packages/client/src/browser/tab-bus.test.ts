import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TabBus, type TabChannel, tabMessages } from "./tab-bus.ts";
import type { TabBatch, TabMessage } from "./tab-message.ts";

const event = (type: string, id: string, extra: Record<string, unknown> = {}): TabMessage => ({
  kind: "event",
  type,
  detail: { id, ...extra },
});

/** A channel that keeps what is posted, and hands `heard` messages to the bus's listener. */
function fakeChannel(posted: TabBatch[]): TabChannel & { hear(data: unknown): void; closed: boolean } {
  let listener: ((event: MessageEvent) => void) | undefined;
  return {
    closed: false,
    postMessage: (batch) => posted.push(batch),
    addEventListener: (_type, heard) => {
      listener = heard;
    },
    close() {
      this.closed = true;
    },
    hear: (data) => listener?.(new MessageEvent("message", { data })),
  };
}

describe("TabBus", () => {
  let posted: TabBatch[];
  let bus: TabBus;

  beforeEach(() => {
    vi.useFakeTimers();
    posted = [];
    bus = new TabBus(fakeChannel(posted), 100);
  });
  afterEach(() => vi.useRealTimers());

  it("posts everything sent within one microtask as one batch, in order", async () => {
    bus.send(event("task.enqueued", "a"));
    bus.send(event("task.enqueued", "b"));
    bus.send({ kind: "purged" });
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
      bus = new TabBus(fakeChannel(posted), 100, 10);
      bus.send(event("task.started", "a"));
      await Promise.resolve();
      expect(posted).toHaveLength(1);
      for (const id of ["b", "c", "d"]) {
        bus.send(event("task.started", id));
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
    bus = new TabBus(fakeChannel(posted), 100, 10);
    bus.send(event("task.started", "x", { attempt: 1 }));
    await Promise.resolve();
    bus.send(event("task.progress", "x", { progress: 0.2 }));
    bus.send(event("task.failed", "x", { attempt: 1 }));
    bus.send(event("task.started", "x", { attempt: 2 }));
    await Promise.resolve();
    vi.advanceTimersByTime(2);
    bus.send(event("task.progress", "x", { progress: 0.1 }));
    vi.advanceTimersByTime(10);
    expect(posted[1]?.messages).toEqual([
      event("task.failed", "x", { attempt: 1 }),
      event("task.started", "x", { attempt: 2 }),
      event("task.progress", "x", { progress: 0.1 }),
    ]);
  });

  describe("under load, a final event", () => {
    it("goes at the end of its microtask, with what was queued before it, not after the batch period", async () => {
      bus = new TabBus(fakeChannel(posted), 100, 10);
      bus.send(event("task.started", "a"));
      await Promise.resolve();
      bus.send(event("task.started", "b"));
      bus.send(event("task.cancelled", "c"));
      await Promise.resolve();
      expect(
        posted.map((batch) => batch.messages.map((m) => (m.kind === "event" ? m.type : m.kind))),
      ).toEqual([["task.started"], ["task.started", "task.cancelled"]]);
    });
  });

  it("holds progress back and sends only the latest value per task when the period ends", async () => {
    for (let percent = 10; percent <= 90; percent += 10)
      bus.send(event("task.progress", "a", { progress: percent / 100 }));
    bus.send(event("task.progress", "b", { progress: 0.5 }));
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
    bus.send(event("task.progress", "a", { progress: 0.4 }));
    bus.send(event("task.succeeded", "a"));
    await Promise.resolve();
    expect(posted[0]?.messages.map((m) => (m.kind === "event" ? m.type : m.kind))).toEqual([
      "task.progress",
      "task.succeeded",
    ]);
    vi.advanceTimersByTime(1_000);
    expect(posted).toHaveLength(1);
  });

  it("flushes on close, closes its channel, and sends nothing afterwards", () => {
    const channel = fakeChannel(posted);
    bus = new TabBus(channel);
    bus.send(event("task.progress", "a", { progress: 0.4 }));
    bus.close();
    bus.send(event("task.enqueued", "b"));
    expect(posted).toHaveLength(1);
    expect(channel.closed).toBe(true);
  });

  describe("when another context sends", () => {
    it("hands each batch to every listener, in order, until it stops listening", () => {
      const channel = fakeChannel(posted);
      bus = new TabBus(channel);
      const runtime: (readonly TabMessage[])[] = [];
      const sync: (readonly TabMessage[])[] = [];
      bus.listen((messages) => runtime.push(messages));
      const stop = bus.listen((messages) => sync.push(messages));
      const batch = [event("task.sent", "a", { where: "edge" }), { kind: "wake" } as const];
      channel.hear({ kind: "batch", messages: batch });
      stop();
      channel.hear({ kind: "batch", messages: [{ kind: "purged" }] });
      channel.hear("not a batch");
      expect(sync).toEqual([batch]);
      expect(runtime).toEqual([batch, [{ kind: "purged" }]]);
    });

    it("hands nothing on once closed", () => {
      const channel = fakeChannel(posted);
      bus = new TabBus(channel);
      const heard: unknown[] = [];
      bus.listen((messages) => heard.push(messages));
      bus.close();
      channel.hear({ kind: "batch", messages: [{ kind: "purged" }] });
      expect(heard).toEqual([]);
    });
  });
});

describe("tabMessages", () => {
  it("reads a batch and ignores anything else on the channel", () => {
    const messages = [event("task.enqueued", "a")];
    expect(tabMessages({ kind: "batch", messages })).toEqual(messages);
    expect(tabMessages({ kind: "event", type: "task.enqueued" })).toEqual([]);
    expect(tabMessages(null)).toEqual([]);
    expect(tabMessages("batch")).toEqual([]);
  });
});
