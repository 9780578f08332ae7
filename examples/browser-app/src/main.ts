import { createErrand } from "@errand/client";
import { isErrandError } from "@errand/core";
import { tasks } from "./tasks.ts";

// Written out this way, Vite (dev and build) and webpack 5 build the worker script.
const errand = await createErrand({
  tasks,
  worker: () => new Worker(new URL("./tasks.worker.ts", import.meta.url), { type: "module" }),
});
const log = (line: string) => document.querySelector("#log")?.append(`${line}\n`);

document.querySelector("#run")?.addEventListener("click", async () => {
  const hash = await errand.enqueue("hash", { text: "hello" }, { retry: { maxAttempts: 3 } });
  log(`hash: ${(await hash.result()).hex}`);

  const parse = await errand.enqueue("parse", { json: "{oops" }, { retry: { maxAttempts: 5 } });
  await parse.result().catch(async (error: unknown) => {
    const task = await errand.get(parse.id);
    if (isErrandError(error, "not_json")) log(`parse: ${task?.state} after ${task?.attempts} attempt(s)`);
  });
});
