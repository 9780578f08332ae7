/**
 * The RPC entrypoint edge consumers reach through a service binding (`entrypoint =
 * "ConsumerApi"`): claim a delivery, then report how it went. Each delivery message names the
 * subject object that holds its task, so every call goes to that object (a batch is split by
 * object). `@errand/edge`'s `defineConsumer` calls it; consumer authors never do.
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import type { JsonValue, SerializedError } from "@errand/core";
import type { Claim, DeliveryRef, FailOutcome } from "@errand/edge";
import { claimDeliveries, completeDeliveries, failDelivery } from "./queues/consumer-calls.ts";

/** Claim, complete and fail, for consumers in other Workers (and the webhook sender). */
export class ConsumerApi extends WorkerEntrypoint<Env> {
  /** May these deliveries run now? Counts the attempt of each that may. */
  claim(refs: DeliveryRef[]): Promise<Claim[]> {
    return claimDeliveries(this.env, refs);
  }

  /** These deliveries succeeded, each with its handler's result if any. */
  complete(items: { ref: DeliveryRef; result?: JsonValue }[]): Promise<void> {
    return completeDeliveries(this.env, items);
  }

  /** The attempt failed: retry after the returned delay, or the delivery is dead. */
  fail(ref: DeliveryRef, error: SerializedError): Promise<FailOutcome> {
    return failDelivery(this.env, ref, error);
  }
}
