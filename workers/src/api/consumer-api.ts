/**
 * The RPC entrypoint edge consumers reach through a service binding (`entrypoint =
 * "ConsumerApi"`): claim a delivery, then report how it went. `@errand/edge`'s
 * `defineConsumer` calls it; consumer authors never do.
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import type { JsonValue, SerializedError } from "@errand/core";
import type { Claim, FailOutcome } from "@errand/edge";
import { claimDelivery, completeDelivery, failDelivery } from "./delivery-ops.ts";
import type { DeliveryMessage } from "./messages.ts";

/** Claim, complete and fail, for consumers in other Workers. */
export class ConsumerApi extends WorkerEntrypoint<Env> {
  /** May this delivery run now? Counts the attempt when it may. */
  claim(ref: DeliveryMessage): Promise<Claim> {
    return claimDelivery(this.env, ref);
  }

  /** The delivery succeeded, with the handler's result if any. */
  complete(ref: DeliveryMessage, result?: JsonValue): Promise<void> {
    return completeDelivery(this.env, ref, result);
  }

  /** The attempt failed: retry after the returned delay, or the delivery is dead. */
  fail(ref: DeliveryMessage, error: SerializedError): Promise<FailOutcome> {
    return failDelivery(this.env, ref, error);
  }
}
