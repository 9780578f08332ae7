/**
 * The seam between the Errand API Worker and edge consumers: the message on a delivery queue,
 * and the RPC a consumer calls (through a service binding to the API's `ConsumerApi`
 * entrypoint) to claim a delivery and report how it went. Types only.
 */
import type { JsonValue, SerializedError } from "@errand/core";

/**
 * A delivery queue message: one task for one subscription. Payloads stay with the API (in the
 * Durable Object of the subject that published the task, which the message names).
 */
export interface DeliveryRef {
  /** The task's internal key within its object. */
  task: number;
  /** The subscription's id. */
  subscription: string;
  /** The id (hex) of the API's object that holds the task. */
  object: string;
  /** Set on the dead-letter queue when Errand gave up on the delivery. */
  error?: { code: string; message: string };
}

/** A task as a consumer receives it. */
export interface ClaimedTask {
  id: string;
  topic: string;
  payload: JsonValue;
  /** The tenant it was published in: delivery queues are shared by every tenant. */
  tenant: string;
  /** Who published it: a client token's subject, or `""` for a server key. */
  subject: string;
  orderingKey?: string;
  /** 1-based attempt number of this delivery. */
  attempt: number;
  /** Stable across redeliveries: the idempotency key of this task at this subscription. */
  deliveryId: string;
}

/** What a claim allows: run it now, skip it (finished or cancelled), or wait behind its key. */
export type Claim =
  | { action: "run"; task: ClaimedTask }
  | { action: "skip"; reason: "delivered" | "dead" | "cancelled" | "unknown" }
  | { action: "wait"; delaySeconds: number };

/** What becomes of a failed attempt. */
export type FailOutcome = { action: "retry"; delaySeconds: number } | { action: "dead" };

/** A successful delivery, with the handler's result if it returned one. */
export interface Completion {
  ref: DeliveryRef;
  result?: JsonValue;
}

/**
 * The API's consumer RPC, as a service binding exposes it. Claims and completions go a batch
 * at a time, so a batch of messages costs the API a few database round trips, not a few per
 * message.
 */
export interface ConsumerApiBinding {
  /** One claim per ref, in order. */
  claim(refs: DeliveryRef[]): Promise<Claim[]>;
  complete(items: Completion[]): Promise<void>;
  fail(ref: DeliveryRef, error: SerializedError): Promise<FailOutcome>;
}

/** Whether a queue message body is a {@link DeliveryRef}. */
export function isDeliveryRef(body: unknown): body is DeliveryRef {
  const b = body as DeliveryRef | null;
  return (
    typeof b === "object" &&
    b !== null &&
    Number.isInteger(b.task) &&
    typeof b.subscription === "string" &&
    typeof b.object === "string"
  );
}
