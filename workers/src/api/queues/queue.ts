/** Dispatches a batch from any queue this Worker consumes, by queue name. */
import { recordDeadLetters } from "./dead-letters.ts";
import type { DeliveryMessage } from "./messages.ts";
import { sendWebhookBatch } from "./webhook-delivery.ts";

/** The queue handler of the API Worker. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (batch.queue === env.WEBHOOK_QUEUE_NAME) {
    return sendWebhookBatch(batch as MessageBatch<DeliveryMessage>, env);
  }
  if (batch.queue === env.DEAD_LETTER_QUEUE_NAME) {
    return recordDeadLetters(batch as MessageBatch<DeliveryMessage>, env);
  }
  console.error(`errand-api: no consumer for queue ${batch.queue}`);
  batch.retryAll({ delaySeconds: 60 });
}
