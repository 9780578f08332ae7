/**
 * @module
 * The Errand API Worker (production entry): the HTTP API, the router and webhook sender (queue
 * consumers), the dead-letter recorder, the consumer RPC entrypoint and the Durable Objects.
 * The dev/test entry (`dev-entry.ts`) adds dev routes and fault injection on top.
 */
import { createApp } from "./http/app.ts";
import { handleQueue } from "./queues/queue.ts";

export { RateLimiter } from "./auth/rate-limiter.ts";
export { ConsumerApi } from "./consumer-api.ts";
export { Hub } from "./objects/hub.ts";
export { Repair } from "./objects/repair.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env>;
