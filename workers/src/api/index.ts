/**
 * @module
 * The Errand API Worker (production entry): the HTTP API, the router and webhook sender (queue
 * consumers), the dead-letter recorder, the consumer RPC entrypoint and the Durable Objects.
 * The dev/test entry (`dev-entry.ts`) adds dev routes and fault injection on top.
 */
import { createApp } from "./app.ts";
import { handleQueue } from "./queue.ts";

export { ConsumerApi } from "./consumer-api.ts";
export { Hub } from "./hub.ts";
export { RateLimiter } from "./rate-limiter.ts";
export { Repair } from "./repair.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env>;
