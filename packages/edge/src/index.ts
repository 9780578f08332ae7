/**
 * `@errand/edge`: for authors of edge consumers and webhook receivers. `defineConsumer` builds a
 * typed, idempotent Cloudflare Queues consumer of Errand deliveries; `verifyWebhookSignature`
 * checks `Errand-Signature` in any JS runtime.
 *
 * @example
 * ```ts
 * import { defineConsumer, verifyWebhookSignature } from "@errand/edge";
 * ```
 *
 * @module @errand/edge
 */

export { APPLIED_TABLE, APPLIED_TABLE_SQL } from "./applied-table.ts";
export type {
  Claim,
  ClaimedTask,
  ConsumerApiBinding,
  DeliveryRef,
  FailOutcome,
} from "./consumer-protocol.ts";
export { isDeliveryRef } from "./consumer-protocol.ts";
export {
  type Consumer,
  type ConsumerContext,
  type ConsumerHandlers,
  type ConsumerOptions,
  defineConsumer,
} from "./define-consumer.ts";
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  type SignatureCheck,
  type SignatureFailure,
  signWebhook,
  TASK_ID_HEADER,
  type VerifyOptions,
  verifyWebhookSignature,
} from "./webhook-signature.ts";
export type {
  D1Like,
  D1Statement,
  QueueBatch,
  QueueMessage,
  ServiceBinding,
} from "./workers-shapes.ts";
