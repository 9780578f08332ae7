import { describe, expect, it } from "vitest";
import * as core from "./index.ts";
import * as wire from "./wire-contract.ts";

describe("@errand/core", () => {
  it("exports exactly what an app uses", () => {
    expect(Object.keys(core).sort()).toEqual(
      [
        "CancelledError",
        "DEFAULT_RETRY_POLICY",
        "ErrandError",
        "FINAL_STATES",
        "MAX_BACKOFF_MS",
        "MAX_TIMER_MS",
        "NonRetryableError",
        "StaleLeaseError",
        "StorageError",
        "TASK_STATES",
        "TimeoutError",
        "ValidationError",
        "VersionUnsupportedError",
        "WorkerCrashedError",
        "backoffDelay",
        "decideRetry",
        "defineTasks",
        "deserializeError",
        "isErrandError",
        "isFinalState",
        "isSerializedError",
        "isTaskId",
        "isTaskState",
        "newTaskId",
        "registerError",
        "resolvePolicy",
        "serializeError",
        "task",
        "taskIdTime",
        "timerMsProblem",
        "upgradePayload",
        "validatePolicy",
      ].sort(),
    );
  });
});

describe("@errand/core/wire", () => {
  it("exports exactly wire contract v1's limits, parsers and helpers", () => {
    expect(Object.keys(wire).sort()).toEqual(
      [
        "ERROR_STATUS",
        "MAX_ADMIN_BODY_BYTES",
        "MAX_BATCH_ITEMS",
        "MAX_BODY_BYTES",
        "MAX_DELAY_SECONDS",
        "MAX_IDS_PER_QUERY",
        "MAX_JSON_DEPTH",
        "MAX_MESSAGE_BYTES",
        "MAX_TOKEN_TOPICS",
        "MAX_TOKEN_TTL_SECONDS",
        "errorBody",
        "findJsonIssue",
        "isJsonValue",
        "isTopicName",
        "isTopicPattern",
        "isWellFormed",
        "isWireId",
        "jsonByteLength",
        "parseIdsQuery",
        "parseSubmitTasksRequest",
        "parseSubscriptionRequest",
        "parseTokenRequest",
        "parseTopicRequest",
        "topicMatches",
      ].sort(),
    );
  });
});
