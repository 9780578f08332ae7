import type { TaskView } from "@errand/core/wire";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startStatusStream } from "./status-stream.ts";
import type { TokenSource } from "./token-source.ts";

/** A socket the test opens, feeds and closes by hand. */
class FakeSocket extends EventTarget {
  static all: FakeSocket[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.all.push(this);
  }
  open(): void {
    this.dispatchEvent(new Event("open"));
  }
  send(view: TaskView): void {
    this.dispatchEvent(
      new MessageEvent("message", { data: JSON.stringify({ type: "task.status", task: view }) }),
    );
  }
  close(code = 1006): void {
    this.dispatchEvent(Object.assign(new Event("close"), { code }));
  }
}

const tokens: TokenSource = {
  get: async () => ({ token: "t", expiresAt: Number.MAX_SAFE_INTEGER, subject: "ada" }),
  refresh: async () => ({ token: "t2", expiresAt: Number.MAX_SAFE_INTEGER, subject: "ada" }),
  peek: () => undefined,
  clear: () => {},
};

const view = (id: string, status: TaskView["status"]): TaskView => ({
  id,
  topic: "demo.echo",
  status,
  attempts: 1,
  deliveries: [],
});

describe("startStatusStream", () => {
  let polls: string[][];
  let heard: TaskView[];
  let unfinished: string[];
  let absent: string[];
  let known: (id: string) => boolean;
  let malformed: boolean;
  let stop: () => void;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    polls = [];
    heard = [];
    unfinished = ["a", "b"];
    absent = [];
    known = () => true;
    malformed = false;
    stop = startStatusStream({
      edge: {
        url: "http://127.0.0.1:1",
        now: () => Date.now(),
        fetch: async (input) => {
          const url = new URL(String(input));
          if (url.pathname === "/v1/events/ticket") return Response.json({ ticket: "k" });
          const ids = url.searchParams.get("ids")?.split(",") ?? [];
          polls.push(ids);
          if (malformed) return Response.json({});
          return Response.json({ tasks: ids.filter(known).map((id) => view(id, "succeeded")) });
        },
      },
      tokens,
      unfinished: async () => unfinished,
      heard: async (views, missing = []) => {
        heard.push(...views);
        absent.push(...missing);
        unfinished = unfinished.filter((id) => !views.some((v) => v.id === id && v.status === "succeeded"));
      },
      connected: () => {},
      pollMs: 1_000,
      checkMs: 10_000,
      WebSocket: FakeSocket as unknown as typeof WebSocket,
    });
  });

  afterEach(() => {
    stop();
    vi.useRealTimers();
  });

  const socket = async () => {
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1), { interval: 1 });
    return FakeSocket.all[0] as FakeSocket;
  };

  it("polls every pollMs while the socket is down", async () => {
    await vi.advanceTimersByTimeAsync(0);
    expect(polls).toEqual([["a", "b"]]);
    unfinished = ["c"];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(polls).toEqual([["a", "b"], ["c"]]);
  });

  it("hears events while open and still polls every checkMs, so a lost event cannot strand a task", async () => {
    const ws = await socket();
    await vi.advanceTimersByTimeAsync(0);
    unfinished = ["x", "y"];
    polls = [];
    ws.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(polls).toEqual([["x", "y"]]);
    unfinished = ["z"];
    ws.send(view("w", "delivered"));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(heard.map((v) => v.id)).toContain("w");
    expect(polls).toEqual([["x", "y"]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(polls).toEqual([["x", "y"], ["z"]]);
  });

  it("reports the ids a poll asked for and the edge left out, and only those", async () => {
    await vi.advanceTimersByTimeAsync(0);
    heard = [];
    known = (id) => id !== "b";
    unfinished = ["a", "b", "c"];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(heard.map((v) => v.id)).toEqual(["a", "c"]);
    expect(absent).toEqual(["b"]);
  });

  it("takes a 200 without a tasks array for a failed read, not for an edge that holds none of them", async () => {
    await vi.advanceTimersByTimeAsync(0);
    heard = [];
    polls = [];
    malformed = true;
    unfinished = ["a", "b"];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(polls).toEqual([["a", "b"]]);
    expect(absent).toEqual([]);
  });

  it("goes back to polling every pollMs once the socket closes", async () => {
    const ws = await socket();
    ws.open();
    await vi.advanceTimersByTimeAsync(0);
    polls = [];
    ws.close();
    unfinished = ["q"];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(polls).toEqual([["q"]]);
  });
});
