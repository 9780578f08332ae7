// This file's @errand/core is the app's own copy (0.2.0); the worker runtime that catches the
// error below is @errand/client's (0.1.0).
import { expose } from "@errand/client/worker";
import { NonRetryableError } from "@errand/core";
import { tasks } from "./tasks.ts";

expose(tasks, {
  async refuse({ why }) {
    throw new NonRetryableError(why, { code: "refused" });
  },
});
