import type { IngestMessage } from "./messages.ts";
import { recordProbe } from "./probe.ts";

/** Dispatches a batch from any queue this Worker consumes, by queue name. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body as IngestMessage;
    if (body.kind === "probe") await recordProbe(env, body);
    message.ack();
  }
}
