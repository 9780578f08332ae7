import { describe, expect, expectTypeOf, it } from "vitest";
import {
  defineTasks,
  type PayloadOf,
  type ResultOf,
  type TaskDef,
  type TaskMap,
  type TaskType,
  task,
  upgradePayload,
} from "./define-tasks.ts";
import { ValidationError, VersionUnsupportedError } from "./errors.ts";

const tasks = defineTasks({
  resize: task<{ width: number }, { url: string }>({
    version: 2,
    upgrade: (old) => ({ width: (old as { w: number }).w }),
  }),
  hash: task<{ text: string }, string>(),
  ping: task<null>(),
});

/** A stand-in for the client's enqueue: typed by the map exactly as the runtime's will be. */
const enqueue = <M extends TaskMap, K extends TaskType<M>>(
  _map: M,
  _type: K,
  _payload: PayloadOf<M, K>,
) => {};
/** A stand-in for a worker's handler table. */
type Handlers<M extends TaskMap> = {
  [K in TaskType<M>]: (payload: PayloadOf<M, K>) => Promise<ResultOf<M, K>>;
};

describe("task", () => {
  it("defaults to version 1 with no upgrade", () => {
    expect(task()).toEqual({ version: 1 });
    expect("upgrade" in task()).toBe(false);
  });

  it("keeps the version and upgrade it is given", () => {
    const upgrade = (old: unknown) => old as number;
    expect(task<number>({ version: 3, upgrade })).toEqual({ version: 3, upgrade });
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses version %d", (version) => {
    expect(() => task({ version })).toThrow(ValidationError);
    expect(() => task({ version })).toThrow(
      `Invalid task definition: version must be an integer ≥ 1, got ${version}`,
    );
  });

  it("refuses an upgrade that is not a function", () => {
    expect(() => task({ upgrade: "v1" as never })).toThrow('upgrade must be a function, got "v1"');
  });
});

describe("defineTasks", () => {
  it("returns the very map it was given", () => {
    const map = { a: task() };
    expect(defineTasks(map)).toBe(map);
  });

  it("refuses an entry that is not a definition, naming the task type", () => {
    const attempt = () => defineTasks({ resize: { version: "2" } } as unknown as TaskMap);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(
      'Invalid definition of task type "resize": resize.version must be an integer ≥ 1, got "2"',
    );
  });

  it("refuses an entry that is not an object", () => {
    expect(() => defineTasks({ resize: 2 } as unknown as TaskMap)).toThrow(
      "resize must be a task definition, got 2",
    );
  });

  it.each([null, [], "tasks"])("refuses %j instead of a map", (map) => {
    expect(() => defineTasks(map as unknown as TaskMap)).toThrow(ValidationError);
  });

  describe("types", () => {
    it("gives each task type its payload and result types", () => {
      expectTypeOf<TaskType<typeof tasks>>().toEqualTypeOf<"resize" | "hash" | "ping">();
      expectTypeOf<PayloadOf<typeof tasks, "resize">>().toEqualTypeOf<{ width: number }>();
      expectTypeOf<ResultOf<typeof tasks, "resize">>().toEqualTypeOf<{ url: string }>();
      expectTypeOf<PayloadOf<typeof tasks, "hash">>().toEqualTypeOf<{ text: string }>();
      expectTypeOf<ResultOf<typeof tasks, "ping">>().toEqualTypeOf<void>();
      expectTypeOf(tasks.resize).toEqualTypeOf<TaskDef<{ width: number }, { url: string }>>();
    });

    it("makes a wrong payload, an unknown type or a wrong result a compile error", () => {
      enqueue(tasks, "resize", { width: 100 });
      enqueue(tasks, "ping", null);
      // @ts-expect-error: width must be a number
      enqueue(tasks, "resize", { width: "100" });
      // @ts-expect-error: the payload of hash is { text }, not { width }
      enqueue(tasks, "hash", { width: 100 });
      // @ts-expect-error: no task type "crop"
      enqueue(tasks, "crop", {});
      const handlers: Handlers<typeof tasks> = {
        resize: async ({ width }) => ({ url: `/img/${width}` }),
        // @ts-expect-error: hash must return a string
        hash: async ({ text }) => text.length,
        ping: async () => {},
      };
      expect(Object.keys(handlers)).toEqual(["resize", "hash", "ping"]);
    });

    it("makes an upgrade that returns the wrong payload a compile error", () => {
      // @ts-expect-error: upgrade must return { width: number }
      const bad = task<{ width: number }>({ version: 2, upgrade: () => ({ w: 1 }) });
      expect(bad.version).toBe(2);
    });
  });
});

describe("upgradePayload", () => {
  it("returns the payload as is when the versions match", () => {
    const payload = { width: 3 };
    expect(upgradePayload(tasks.resize, payload, 2)).toBe(payload);
  });

  it("runs the upgrade for an older version, telling it which", () => {
    const seen: number[] = [];
    const def = task<{ width: number }>({
      version: 3,
      upgrade: (old, fromVersion) => {
        seen.push(fromVersion);
        return { width: (old as { w: number }).w };
      },
    });
    expect(upgradePayload(def, { w: 7 }, 1)).toEqual({ width: 7 });
    expect(seen).toEqual([1]);
  });

  describe("when the handler cannot read the task", () => {
    const cases: Array<[string, TaskDef<unknown>, number, string]> = [
      [
        "the task is newer",
        task({ version: 2 }),
        3,
        "written for version 3, newer than this handler's version 2",
      ],
      [
        "no upgrade is declared",
        task({ version: 2 }),
        1,
        "written for version 1 and version 2 declares no upgrade",
      ],
      [
        "the version is not a number",
        task({ version: 2, upgrade: (x) => x }),
        Number.NaN,
        "version NaN is not a version number",
      ],
      ["the version is 0", task({ version: 2, upgrade: (x) => x }), 0, "version 0 is not a version number"],
    ];

    it.each(cases)("throws VersionUnsupportedError when %s", (_, def, fromVersion, message) => {
      expect(() => upgradePayload(def, {}, fromVersion)).toThrow(VersionUnsupportedError);
      expect(() => upgradePayload(def, {}, fromVersion)).toThrow(message);
    });

    it("records both versions in the error's details", () => {
      try {
        upgradePayload(task({ version: 2 }), {}, 5);
        expect.unreachable();
      } catch (e) {
        expect(e).toMatchObject({
          code: "version_unsupported",
          retryable: false,
          details: { fromVersion: 5, version: 2 },
        });
      }
    });

    it("wraps an upgrade that throws, keeping its error as cause", () => {
      const failure = new Error("no w field");
      const def = task({
        version: 2,
        upgrade: () => {
          throw failure;
        },
      });
      try {
        upgradePayload(def, {}, 1);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(VersionUnsupportedError);
        expect((e as Error).message).toBe("Upgrading the task from version 1 to 2 failed: no w field");
        expect((e as Error).cause).toBe(failure);
      }
    });
  });
});
