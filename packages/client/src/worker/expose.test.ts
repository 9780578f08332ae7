import {
  defineTasks,
  deserializeError,
  NonRetryableError,
  task,
  ValidationError,
  VersionUnsupportedError,
} from "@errand/core";
import { proxy, type Remote, wrap } from "comlink";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import type { HandlerContext } from "../lifecycle/executor.ts";
import { expose } from "./expose.ts";
import { isReadyMessage, type RunReply, type WorkerApi } from "./protocol.ts";
import { transfer } from "./transfer.ts";

const tasks = defineTasks({
  greet: task<{ name: string }, string>(),
  resize: task<{ width: number }, { width: number }>({
    version: 2,
    upgrade: (old) => ({ width: (old as { w: number }).w }),
  }),
  wait: task<Record<string, never>, never>(),
  report: task<{ steps: number }, number>(),
  bytes: task<{ length: number }, Uint8Array>(),
  remote: task<{ text: string }, string>(),
});

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

/** Exposes handlers on one end of a MessageChannel and wraps the other, as a pool would. */
async function connect(handlers: Parameters<typeof expose<typeof tasks>>[1]) {
  const channel = new MessageChannel();
  channels.push(channel);
  const ready = new Promise<void>((resolve) => {
    channel.port1.addEventListener("message", (event) => {
      if (isReadyMessage(event.data)) resolve();
    });
  });
  channel.port1.start();
  expose(tasks, handlers, { endpoint: channel.port2 });
  await ready;
  const api: Remote<WorkerApi> = wrap<WorkerApi>(channel.port1);
  const progress: Array<[number, number]> = [];
  await api.init(
    null,
    proxy((call: number, value: number) => {
      progress.push([call, value]);
    }),
  );
  let call = 0;
  const run = (type: string, payload: unknown, version = 1, attempt = 1): Promise<RunReply> =>
    api.run({ call: ++call, id: `task-${call}`, type, payload, attempt, version });
  return { api, run, progress };
}

describe("expose", () => {
  it("runs the handler of the requested type with the payload and context", async () => {
    let seen: HandlerContext | undefined;
    const { run } = await connect({
      greet: ({ name }, ctx) => {
        seen = ctx;
        return `hello ${name}`;
      },
    });
    expect(await run("greet", { name: "Ada" }, 1, 3)).toEqual({ ok: true, result: "hello Ada" });
    expect(seen).toMatchObject({ id: "task-1", attempt: 3 });
    expect(seen?.signal.aborted).toBe(false);
  });

  it("upgrades a payload stored for an older version before the handler sees it", async () => {
    const { run } = await connect({ resize: (payload) => payload });
    expect(await run("resize", { w: 640 }, 1)).toEqual({ ok: true, result: { width: 640 } });
    expect(await run("resize", { width: 800 }, 2)).toEqual({ ok: true, result: { width: 800 } });
  });

  it("fails a payload from a newer version with version_unsupported, not retryable", async () => {
    const { run } = await connect({ resize: (payload) => payload });
    const reply = await run("resize", { width: 1 }, 3);
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(deserializeError(reply.error)).toBeInstanceOf(VersionUnsupportedError);
  });

  it("answers a thrown error as data that rebuilds to the same class and code", async () => {
    const { run } = await connect({
      greet: () => {
        throw new NonRetryableError("no such person", { code: "unknown_person" });
      },
    });
    const reply = await run("greet", { name: "x" });
    expect(reply).toMatchObject({ ok: false, error: { name: "NonRetryableError", code: "unknown_person" } });
    if (!reply.ok) expect(deserializeError(reply.error)).toBeInstanceOf(NonRetryableError);
  });

  it("aborts the handler's signal with a TimeoutError when the pool stops it for a timeout", async () => {
    const { api, run } = await connect({
      wait: (_payload, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
        ),
    });
    const reply = run("wait", {});
    await api.stop(1, "timeout");
    expect(await reply).toMatchObject({ ok: false, error: { name: "TimeoutError", code: "timeout" } });
  });

  it("delivers every progress report before the reply", async () => {
    const { run, progress } = await connect({
      report: ({ steps }, ctx) => {
        for (let k = 1; k <= steps; k++) ctx.progress(k);
        return steps;
      },
    });
    expect(await run("report", { steps: 5 })).toEqual({ ok: true, result: 5 });
    expect(progress).toEqual([1, 2, 3, 4, 5].map((k) => [1, k]));
  });

  it("fails a handler that reports a progress that is not a finite number", async () => {
    const { run } = await connect({
      report: (_payload, ctx) => {
        ctx.progress(Number.NaN);
        return 0;
      },
    });
    expect(await run("report", { steps: 1 })).toMatchObject({
      ok: false,
      error: { name: "ValidationError" },
    });
  });

  it("transfers a result marked with transfer() instead of copying it", async () => {
    let kept: Uint8Array | undefined;
    const { run } = await connect({
      bytes: ({ length }) => {
        kept = new Uint8Array(length).fill(7);
        return transfer(kept, [kept.buffer]);
      },
    });
    const reply = await run("bytes", { length: 16 });
    expect(reply.ok && Array.from(reply.result as Uint8Array)).toEqual(new Array(16).fill(7));
    expect(kept?.buffer.byteLength).toBe(0);
  });

  it("fails a type with no handler in this worker with unknown_task_type, not retryable", async () => {
    const { run } = await connect({ greet: ({ name }) => name });
    expect(await run("remote", { text: "x" })).toMatchObject({
      ok: false,
      error: { code: "unknown_task_type", retryable: false },
    });
  });

  describe("when the handlers are invalid", () => {
    it("throws a ValidationError naming each bad handler", () => {
      const bad = { greet: "not a function", nope: () => "x" } as unknown as Parameters<
        typeof expose<typeof tasks>
      >[1];
      expect(() => expose(tasks, bad, { endpoint: new MessageChannel().port1 })).toThrow(ValidationError);
      expect(() => expose(tasks, bad, { endpoint: new MessageChannel().port1 })).toThrow(
        /greet must be a function; nope is not a task type/,
      );
    });
  });

  describe("its types", () => {
    it("types each handler's payload, context and result from the task map", () => {
      type Handlers = Parameters<typeof expose<typeof tasks>>[1];
      type Greet = NonNullable<Handlers["greet"]>;
      expectTypeOf<Parameters<Greet>[0]>().toEqualTypeOf<{ name: string }>();
      expectTypeOf<Parameters<Greet>[1]>().toEqualTypeOf<HandlerContext>();
      expectTypeOf<ReturnType<Greet>>().toEqualTypeOf<string | Promise<string>>();
      expectTypeOf<Handlers>().not.toHaveProperty("unknown");
    });

    it("makes a wrong payload type, a wrong result type or an unknown type a compile error", () => {
      const endpoint = new MessageChannel().port1;
      // @ts-expect-error: greet's payload is { name: string }, not { name: number }
      expose(tasks, { greet: (payload: { name: number }) => String(payload.name) }, { endpoint });
      // @ts-expect-error: greet returns a string
      expose(tasks, { greet: () => 42 }, { endpoint });
      // @ts-expect-error: "gret" is not a task type of the map
      expect(() => expose(tasks, { gret: () => "x" }, { endpoint })).toThrow(ValidationError);
      expose(
        tasks,
        {
          // @ts-expect-error: the payload has no `nickname`
          greet: (payload) => payload.nickname,
        },
        { endpoint },
      );
    });
  });
});
