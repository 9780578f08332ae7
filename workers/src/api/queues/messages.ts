/** Bodies of the queue messages the API Worker sends. They carry keys; payloads stay in the subject's object. */
import type { DeliveryRef } from "@errand/edge";

/**
 * On a delivery queue, the webhook queue and the dead-letter queue: one subscription's
 * delivery of one task, naming the object that holds it, in the shape `@errand/edge` consumers read.
 */
export type DeliveryMessage = DeliveryRef;
