/**
 * The task types the example consumer handles; the topic a task is published to names its type.
 * Apps share such a map between the code that publishes and the consumers.
 */
import { defineTasks, type JsonValue, task } from "@errand/core";

/** What `test.effect` tasks ask of the consumer (tests use it to inject failures). */
export interface EffectPayload {
  /** Fail this attempt with this probability (0 to 1). */
  failRate?: number;
  /** Fail every attempt without retrying. */
  fatal?: boolean;
  /** Fail without retrying until this time (Unix ms), then succeed: for replay tests. */
  fatalUntil?: number;
  /** Fail without retrying while the consumer's switch of this name is on (`PUT /switches/:name`). */
  fatalWhile?: string;
  [key: string]: JsonValue | undefined;
}

/** The example consumer's task map. */
export const exampleTasks = defineTasks({
  /** Echoes the payload back as the task's result. */
  "demo.echo": task<JsonValue, { echo: JsonValue; by: string }>(),
  /** Records one effect row per committed invocation, failing as asked. */
  "test.effect": task<EffectPayload, { applied: true }>(),
});
