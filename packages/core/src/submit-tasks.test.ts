import { describe, expect, it } from "vitest";
import { MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES } from "./limits.ts";
import type { ParseResult } from "./parse-result.ts";
import { parseIdsQuery, parseSubmitTasksRequest, type SubmitItem } from "./submit-tasks.ts";

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
        "with a lone surrogate in its dedup key",
        task({ dedupKey: "order-\ud800" }),
        "dedupKey must be well-formed Unicode (no lone surrogate)",
      ],
      [
        "with a lone low surrogate in its ordering key",
        task({ orderingKey: "\udc00user" }),
        "orderingKey must be well-formed Unicode (no lone surrogate)",
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

    it("accepts keys outside the Basic Multilingual Plane (surrogate pairs)", () => {
      expect(itemOf(task({ dedupKey: "order-\u{1F600}", orderingKey: "\u{10FFFF}" })).ok).toBe(true);
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
