import { expose } from "@errand/client/worker";
import { NonRetryableError } from "@errand/core";
import { tasks } from "./tasks.ts";

expose(tasks, {
  async hash({ text }, ctx) {
    ctx.progress(0.5);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return { hex: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("") };
  },
  async parse({ json }) {
    try {
      return { keys: Object.keys(JSON.parse(json) ?? {}).length };
    } catch {
      // Retrying cannot fix bad input: the task goes to dead at once.
      throw new NonRetryableError("Not JSON", { code: "not_json" });
    }
  },
});
