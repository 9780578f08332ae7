import { describe, expect, it } from "vitest";
import { createMainThreadExecutor } from "./main-thread-executor.ts";

const never = new AbortController().signal;
const quiet = { progress: () => undefined };

describe("the main-thread executor", () => {
  it("fails a task type it has no handler for with no_handler, also when the name is an inherited property", async () => {
    const executor = createMainThreadExecutor({}, 1);
    for (const type of ["elsewhere", "toString", "constructor", "hasOwnProperty"]) {
      const outcome = await executor.execute(
        { id: "t1", type, payload: {}, attempt: 1, version: 1 },
        quiet,
        never,
      );
      expect(outcome).toMatchObject({ ok: false, error: { code: "no_handler", retryable: false } });
    }
  });
});
