import { createErrand } from "@errand/client";
import { isErrandError } from "@errand/core";
import { tasks } from "./tasks.ts";

const errand = await createErrand({
  tasks,
  worker: () => new Worker(new URL("./tasks.worker.ts", import.meta.url), { type: "module" }),
});
const handle = await errand.enqueue(
  "refuse",
  { why: "never works" },
  { retry: { maxAttempts: 5, backoff: { kind: "fixed", delayMs: 10 } } },
);
const outcome = await handle.result().then(
  () => "succeeded",
  (error: unknown) => (isErrandError(error, "refused") ? "refused" : `other: ${String(error)}`),
);
const task = await errand.get(handle.id);
document
  .querySelector("#log")
  ?.append(JSON.stringify({ outcome, state: task?.state, attempts: task?.attempts }));
