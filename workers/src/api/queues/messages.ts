/** Bodies of the queue messages the API Worker sends. They carry keys; payloads stay in D1. */
import type { DeliveryRef } from "@errand/edge";

/** On the ingest queue: a stored task for the router to fan out. */
export interface IngestMessage {
  key: number;
}

/**
 * On a delivery queue, the webhook queue and the dead-letter queue: one subscription's
 * delivery of one task, in the shape `@errand/edge` consumers read.
 */
export type DeliveryMessage = DeliveryRef;
