/**
 * @module
 * The Errand API Worker: HTTP API, queue consumers and Durable Objects.
 */
import { app } from "./app.ts";
import { handleQueue } from "./queue.ts";

export { Hub } from "./hub.ts";

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env>;
