/**
 * @module
 * The Errand API Worker (production entry): the HTTP API, the webhook sender and dead-letter
 * recorder (queue consumers), the consumer RPC entrypoint and the Durable Objects (a subject
 * object per tenant and subject, a live hub per tenant).
 * The dev/test entry (`dev-entry.ts`) adds dev routes and fault injection on top.
 */
import { createApp } from "./http/app.ts";
import { handleQueue } from "./queues/queue.ts";

export { ConsumerApi } from "./consumer-api.ts";
export { Hub } from "./objects/hub.ts";
export { Subject } from "./objects/subject.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<Env>;
