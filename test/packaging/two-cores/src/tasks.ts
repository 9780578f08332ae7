import { defineTasks, task } from "@errand/core";

export const tasks = defineTasks({ refuse: task<{ why: string }, never>({ version: 1 }) });
