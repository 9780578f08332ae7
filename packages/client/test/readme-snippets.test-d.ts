/**
 * README.md's TypeScript blocks, completed with the declarations they leave out, compiled by
 * `tsc -b` against the packages' published types (`dist/*.d.ts`, as a user's editor sees them).
 * Never run: it fails the type check when the README shows an API that no longer exists. Change
 * a block here and in the README together. `tasks` here stands for the README's `./tasks.ts`.
 */

import { createErrand } from "@errand/client";
import { expose } from "@errand/client/worker";
import { defineTasks, task } from "@errand/core";

declare const url: string;
declare const worker: URL;

const tasks = defineTasks({
  thumbnail: task<{ url: string }, { bytes: number }>({ version: 1 }),
  echo: task<{ text: string }, { text: string }>(),
});

export async function inTheBrowser(): Promise<void> {
  const errand = await createErrand({ tasks, worker: new URL("./tasks.worker.ts", import.meta.url) });
  const handle = await errand.enqueue("thumbnail", { url }, { priority: 5, retry: { maxAttempts: 3 } });
  const result: { bytes: number } = await handle.result();
  console.log(result);
}

export function tasksWorker(): void {
  expose(tasks, {
    async thumbnail({ url }, ctx) {
      ctx.progress(0.5);
      void url;
      return { bytes: 1 };
    },
  });
}

export async function theOfflineOutbox(): Promise<void> {
  const errand = await createErrand({
    tasks,
    worker,
    edge: { url: "https://api.example.com", tokenUrl: "/errand-token" },
  });
  const handle = await errand.enqueue("echo", { text: "hi" }, { target: "edge", topic: "demo.echo" });
  console.log(handle.id);
}
