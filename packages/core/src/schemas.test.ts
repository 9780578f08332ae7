import { describe, expect, it } from "vitest";
import { MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES, MAX_TOKEN_TOPICS, MAX_TOKEN_TTL_SECONDS } from "./limits.ts";
import {
  type ParseResult,
  parseIdsQuery,
  parseSubmitTasksRequest,
  parseSubscriptionRequest,
  parseTokenRequest,
  parseTopicRequest,
  type SubmitItem,
} from "./schemas.ts";

const task = (fields: Record<string, unknown> = {}) => ({
  id: "t-1",
  topic: "demo",
  payload: { n: 1 },
  ...fields,
});

/** The message of a refused request; fails the test if it was accepted. */
const refusal = <T>(result: ParseResult<T>): string => {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  expect(result.error.code).toBe("invalid_request");
  return result.error.message;
};

/** The parsed items of a batch; fails the test if the envelope was refused. */
const itemsOf = (body: unknown): SubmitItem[] => {
  const result = parseSubmitTasksRequest(body);
  if (!result.ok) throw new Error(`expected the envelope to pass: ${result.error.message}`);
  return result.value.items;
};

/** The single item parsed from a batch of one. */
const itemOf = (fields: Record<string, unknown>): SubmitItem => itemsOf({ tasks: [fields] })[0] as SubmitItem;

/** A string whose JSON encoding is exactly `bytes` bytes. */
const payloadOfBytes = (bytes: number) => "x".repeat(bytes - 2);

describe("parseSubmitTasksRequest", () => {
  describe("when the envelope is wrong", () => {
    it.each([
      ["null", null, "body must be a JSON object (got null)"],
      ["an array", [task()], "body must be a JSON object (got an array)"],
      ["a string", "tasks", 'body must be a JSON object (got "tasks")'],
      ["no tasks", {}, "tasks is required"],
      [
        "tasks that is not an array",
        { tasks: { 0: task() } },
        "tasks must be an array of 1 to 100 tasks (got an object)",
      ],
      ["0 tasks", { tasks: [] }, "tasks must contain at least 1 task"],
      [
        "101 tasks",
        { tasks: Array.from({ length: 101 }, () => task()) },
        "tasks must contain at most 100 tasks (got 101)",
      ],
    ])("refuses %s whole, with invalid_request", (_, body, message) => {
      expect(refusal(parseSubmitTasksRequest(body))).toBe(message);
    });
  });

  it("accepts exactly 100 tasks", () => {
    const items = itemsOf({ tasks: Array.from({ length: 100 }, (_, i) => task({ id: `t-${i}` })) });
    expect(items).toHaveLength(100);
    expect(items.every((item) => item.ok)).toBe(true);
  });

  it("accepts 1 task and returns it", () => {
    expect(itemsOf({ tasks: [task()] })).toEqual([{ ok: true, task: task() }]);
  });

  it("reports a bad item at its index and lets the others through", () => {
    const items = itemsOf({
      tasks: [task({ id: "a" }), task({ id: "b", topic: "Bad Topic" }), task({ id: "c" })],
    });
    expect(items.map((item) => item.ok)).toEqual([true, false, true]);
    expect(items[1]).toEqual({
      ok: false,
      id: "b",
      error: {
        code: "invalid_task",
        message:
          'topic must be a topic name: 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit (got "Bad Topic")',
      },
    });
  });

  it("keeps the optional fields of a valid task", () => {
    const fields = { orderingKey: "user-7", delaySeconds: 30, dedupKey: "order-9" };
    expect(itemOf(task(fields))).toEqual({ ok: true, task: task(fields) });
  });

  it("ignores fields the contract does not name", () => {
    expect(itemOf(task({ priority: 3 }))).toEqual({ ok: true, task: task() });
  });

  it("treats optional fields sent as null as absent", () => {
    expect(itemOf(task({ orderingKey: null, delaySeconds: null, dedupKey: null }))).toEqual({
      ok: true,
      task: task(),
    });
  });

  it.each([null, 0, "", false, [], [1, { a: null }]])("accepts the JSON payload %j", (payload) => {
    expect(itemOf(task({ payload }))).toEqual({ ok: true, task: task({ payload }) });
  });

  describe("when an item is invalid", () => {
    it.each([
      ["not an object", 5, "task must be a JSON object (got 5)"],
      ["without an id", { topic: "demo", payload: 1 }, "id is required"],
      [
        "with an empty id",
        task({ id: "" }),
        'id must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got "")',
      ],
      ["with a 129-character id", task({ id: "x".repeat(129) }), "id must be 1 to 128 characters"],
      ["with a numeric id", task({ id: 7 }), "id must be a string (got 7)"],
      ["without a topic", { id: "a", payload: 1 }, "topic is required"],
      ["with an uppercase topic", task({ topic: "Demo" }), "topic must be a topic name"],
      ["with a topic pattern", task({ topic: "demo.*" }), "topic must be a topic name"],
      ["without a payload", { id: "a", topic: "demo" }, "payload is required"],
      [
        "with an empty ordering key",
        task({ orderingKey: "" }),
        'orderingKey must be 1 to 256 characters (got "")',
      ],
      [
        "with a 257-character dedup key",
        task({ dedupKey: "k".repeat(257) }),
        "dedupKey must be 1 to 256 characters (got 257)",
      ],
      [
        "with a fractional delay",
        task({ delaySeconds: 1.5 }),
        "delaySeconds must be a whole number of seconds from 0 to 43200 (got 1.5)",
      ],
      ["with a negative delay", task({ delaySeconds: -1 }), "delaySeconds must be a whole number of seconds"],
      ["with a delay over 12 hours", task({ delaySeconds: MAX_DELAY_SECONDS + 1 }), "(got 43201)"],
      [
        "with a string delay",
        task({ delaySeconds: "5" }),
        'delaySeconds must be a whole number of seconds from 0 to 43200 (got "5")',
      ],
    ])("rejects one %s as invalid_task", (_, item, message) => {
      const result = itemOf(item as Record<string, unknown>);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe("invalid_task");
      expect(result.error.message).toContain(message);
    });

    it("accepts the delay limits themselves", () => {
      expect(itemOf(task({ delaySeconds: 0 })).ok).toBe(true);
      expect(itemOf(task({ delaySeconds: MAX_DELAY_SECONDS })).ok).toBe(true);
    });

    it("lists every problem of the item", () => {
      const result = itemOf({ id: "a b", payload: 1, delaySeconds: -1 });
      expect(result).toMatchObject({ ok: false, error: { code: "invalid_task" } });
      if (result.ok) return;
      expect(result.error.message.split("; ").map((part) => part.split(" ")[0])).toEqual([
        "id",
        "topic",
        "delaySeconds",
      ]);
    });

    it("echoes the id only when it is a valid one", () => {
      expect(itemOf(task({ topic: "" }))).toHaveProperty("id", "t-1");
      expect(itemOf(task({ id: "bad id", topic: "" }))).not.toHaveProperty("id");
    });

    it("refuses a payload that is not plain JSON, saying where", () => {
      const result = itemOf(task({ payload: { at: new Date(0) } }));
      expect(result).toEqual({
        ok: false,
        id: "t-1",
        error: { code: "invalid_task", message: "payload.at is a Date, which JSON cannot carry" },
      });
    });

    it("refuses a payload nested too deep without overflowing the stack", () => {
      let payload: unknown = 1;
      for (let i = 0; i < 100_000; i++) payload = [payload];
      const result = itemOf(task({ payload }));
      expect(result).toMatchObject({ ok: false, error: { code: "invalid_task" } });
    });
  });

  describe("when a payload is large", () => {
    it(`accepts exactly ${MAX_MESSAGE_BYTES} bytes`, () => {
      expect(itemOf(task({ payload: payloadOfBytes(MAX_MESSAGE_BYTES) })).ok).toBe(true);
    });

    it("rejects one byte more as message_too_large", () => {
      expect(itemOf(task({ payload: payloadOfBytes(MAX_MESSAGE_BYTES + 1) }))).toEqual({
        ok: false,
        id: "t-1",
        error: {
          code: "message_too_large",
          message: "payload is 131073 bytes as JSON, over the limit of 131072 (128 KB)",
        },
      });
    });

    it("counts bytes, not characters", () => {
      const payload = "é".repeat(MAX_MESSAGE_BYTES / 2);
      expect(itemOf(task({ payload }))).toMatchObject({ ok: false, error: { code: "message_too_large" } });
    });

    it("calls an item with other problems too invalid_task, and still mentions the size", () => {
      const result = itemOf(task({ topic: "", payload: payloadOfBytes(MAX_MESSAGE_BYTES + 1) }));
      expect(result).toMatchObject({ ok: false, error: { code: "invalid_task" } });
      if (!result.ok) expect(result.error.message).toContain("payload is 131073 bytes");
    });
  });
});

describe("parseTokenRequest", () => {
  const token = (fields: Record<string, unknown> = {}) => ({
    subject: "user-1",
    topics: ["demo.resize", "demo.*"],
    ttlSeconds: 900,
    ...fields,
  });

  it("returns a valid request without unknown fields", () => {
    expect(parseTokenRequest({ ...token(), scope: "admin" })).toEqual({ ok: true, value: token() });
  });

  it.each([1, MAX_TOKEN_TTL_SECONDS])("accepts a ttl of %d seconds", (ttlSeconds) => {
    expect(parseTokenRequest(token({ ttlSeconds })).ok).toBe(true);
  });

  it("accepts * for every topic", () => {
    expect(parseTokenRequest(token({ topics: ["*"] })).ok).toBe(true);
  });

  it(`accepts ${MAX_TOKEN_TOPICS} topics and refuses one more`, () => {
    const topics = Array.from({ length: MAX_TOKEN_TOPICS + 1 }, (_, i) => `t${i}`);
    expect(parseTokenRequest(token({ topics: topics.slice(1) })).ok).toBe(true);
    expect(refusal(parseTokenRequest(token({ topics })))).toBe(
      "topics must name at most 100 topics (got 101)",
    );
  });

  it.each([
    ["a non-object body", "x", 'body must be a JSON object (got "x")'],
    ["a missing subject", { topics: ["a"], ttlSeconds: 1 }, "subject is required"],
    ["an empty subject", token({ subject: "" }), 'subject must be 1 to 256 characters (got "")'],
    [
      "a 257-character subject",
      token({ subject: "s".repeat(257) }),
      "subject must be 1 to 256 characters (got 257)",
    ],
    ["no topics", token({ topics: [] }), "topics must name at least 1 topic"],
    [
      "topics that is a string",
      token({ topics: "demo" }),
      'topics must be an array of topic names or patterns (got "demo")',
    ],
    [
      "a bad topic",
      token({ topics: ["ok", "Not OK"] }),
      'topics.1 must be a topic name: 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit, or such a prefix followed by * (got "Not OK")',
    ],
    [
      "a ttl of 0",
      token({ ttlSeconds: 0 }),
      "ttlSeconds must be a whole number of seconds from 1 to 86400 (got 0)",
    ],
    [
      "a ttl over 24 hours",
      token({ ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 }),
      "ttlSeconds must be a whole number of seconds from 1 to 86400 (got 86401)",
    ],
    [
      "a fractional ttl",
      token({ ttlSeconds: 1.5 }),
      "ttlSeconds must be a whole number of seconds from 1 to 86400 (got 1.5)",
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(parseTokenRequest(body))).toBe(message);
  });

  it("reports every problem, with paths", () => {
    const result = parseTokenRequest({ subject: "", topics: [3], ttlSeconds: 0 });
    expect(result.ok ? [] : result.error.issues.map((issue) => issue.path)).toEqual([
      "subject",
      "topics.0",
      "ttlSeconds",
    ]);
  });
});

describe("parseSubscriptionRequest", () => {
  it.each([
    { kind: "queue", target: "deliveries-thumbnails" },
    { kind: "webhook", target: "https://hooks.example.com/errand?x=1" },
    { kind: "webhook", target: "http://127.0.0.1:8788/hook", resultFrom: true },
    { kind: "live", target: "dashboard" },
    { kind: "queue", target: "q1", resultFrom: false },
  ])("accepts $kind → $target", (body) => {
    expect(parseSubscriptionRequest(body)).toEqual({ ok: true, value: body });
  });

  it("treats resultFrom null as absent and ignores unknown fields", () => {
    expect(parseSubscriptionRequest({ kind: "live", target: "x", resultFrom: null, secret: "s" })).toEqual({
      ok: true,
      value: { kind: "live", target: "x" },
    });
  });

  it.each([
    [
      "an unknown kind",
      { kind: "email", target: "a" },
      'kind must be "queue", "webhook" or "live" (got "email")',
    ],
    ["a missing target", { kind: "queue" }, "target is required"],
    ["an empty target", { kind: "queue", target: "" }, 'target must be 1 to 2048 characters (got "")'],
    [
      "a queue name with capitals",
      { kind: "queue", target: "Thumbs" },
      'target must be a queue name: 1 to 63 characters from a-z 0-9 -, starting with a letter or digit (got "Thumbs")',
    ],
    [
      "a webhook that is not http(s)",
      { kind: "webhook", target: "ftp://example.com" },
      'target must be an http(s) URL (got "ftp://example.com")',
    ],
    [
      "a webhook without a host",
      { kind: "webhook", target: "https:///path" },
      "target must be an http(s) URL",
    ],
    [
      "a webhook with a space",
      { kind: "webhook", target: "https://a b.com" },
      "target must be an http(s) URL",
    ],
    [
      "a live label with a slash",
      { kind: "live", target: "a/b" },
      "target must be 1 to 128 characters from A-Z a-z 0-9 . _ : -",
    ],
    [
      "a resultFrom that is not boolean",
      { kind: "queue", target: "q", resultFrom: "yes" },
      'resultFrom must be true or false (got "yes")',
    ],
    [
      "resultFrom on a live subscription",
      { kind: "live", target: "x", resultFrom: true },
      "resultFrom cannot be true on a live subscription: live deliveries are best-effort",
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(parseSubscriptionRequest(body))).toContain(message);
  });
});

describe("parseTopicRequest", () => {
  it.each([
    [undefined, {}],
    [{}, {}],
    [
      { description: "Thumbnails", ordering: "key" },
      { description: "Thumbnails", ordering: "key" },
    ],
    [{ ordering: "none", description: null, extra: 1 }, { ordering: "none" }],
  ])("accepts %j", (body, value) => {
    expect(parseTopicRequest(body)).toEqual({ ok: true, value });
  });

  it.each([
    ["null", null, "body must be a JSON object (got null)"],
    ["an unknown ordering", { ordering: "fifo" }, 'ordering must be "key" or "none" (got "fifo")'],
    [
      "a long description",
      { description: "d".repeat(1025) },
      "description must be 0 to 1024 characters (got 1025)",
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(parseTopicRequest(body))).toBe(message);
  });
});

describe("parseIdsQuery", () => {
  it("splits the ids and keeps each once, in order", () => {
    expect(parseIdsQuery("b,a,b,c")).toEqual({ ok: true, value: ["b", "a", "c"] });
  });

  it("accepts 100 ids and refuses 101", () => {
    const ids = Array.from({ length: 101 }, (_, i) => `id-${i}`);
    expect(parseIdsQuery(ids.slice(1).join(",")).ok).toBe(true);
    expect(refusal(parseIdsQuery(ids.join(",")))).toBe("ids must list at most 100 ids (got 101)");
  });

  it.each([undefined, ""])("refuses %j as no ids", (ids) => {
    expect(refusal(parseIdsQuery(ids))).toBe("ids must list at least 1 id: ?ids=a,b,c");
  });

  it("refuses an invalid id, saying which", () => {
    expect(refusal(parseIdsQuery("a,,b c"))).toBe(
      'ids.1 must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got ""); ids.2 must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (got "b c")',
    );
  });
});
