import { defineTasks, task } from "@errand/core";

// One map of task types: the page enqueues with it, the worker handles with it.
export const tasks = defineTasks({
  hash: task<{ text: string }, { hex: string }>({ version: 1 }),
  parse: task<{ json: string }, { keys: number }>({ version: 1 }),
});
