/**
 * @module
 * Errand's example consumer with its D1 binding metered, for the cost benchmark only
 * (workers/wrangler.bench-consumer.toml): the consumer's idempotency marks are a cost of Errand's
 * guarantee, written to the consumer's own database, which the API Worker's meters cannot see.
 * After each batch it reports its invocation, the messages it read and every D1 statement it ran
 * (with the rows its `meta` reports) to the API's dev meters, through the dev-only
 * `reportMeters` of the `ConsumerApi` it is bound to: `wrangler dev` serves only the first
 * Worker's routes, so the benchmark reads them all from the API's `GET /v1/dev/usage`.
 */
import { meteredD1 } from "../api/dev/metered-bindings.ts";
import type { ConsumerMeters, Tally } from "../api/dev/meters.ts";
import consumer, { type ConsumerEnv } from "../example-consumer/index.ts";

/** The example consumer's bindings, its API binding with the dev meters' report. */
type MeteredConsumerEnv = ConsumerEnv & {
  ERRAND: ConsumerEnv["ERRAND"] & { reportMeters(meters: ConsumerMeters): Promise<void> };
};

export default {
  async queue(batch, env) {
    const d1: Record<string, Tally> = {};
    try {
      await consumer.queue(batch, { ...env, DB: meteredD1(env.DB, d1) });
    } finally {
      await env.ERRAND.reportMeters({ invocations: 1, messages: batch.messages.length, d1 });
    }
  },
  fetch: (request, env) => consumer.fetch(request, env),
} satisfies ExportedHandler<MeteredConsumerEnv>;
