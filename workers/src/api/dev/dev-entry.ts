/**
 * @module
 * The API Worker's entry for the `dev` and `test` environments: the production API plus the
 * dev routes (`/v1/dev/*`), seeding, and in `test` the fault layer and the queue chaos that
 * shuffles, duplicates and delays messages. wrangler.toml points only these environments
 * here, so none of it is in the production bundle.
 */

import { ConsumerApi as BaseConsumerApi } from "../consumer-api.ts";
import { createApp } from "../http/app.ts";
import { Subject as BaseSubject } from "../objects/subject.ts";
import { handleQueue } from "../queues/queue.ts";
import { type ChaosSettings, chaoticQueue, parseChaos } from "./chaos-queue.ts";
import { devRoutes } from "./dev-routes.ts";
import { seedOnce } from "./dev-seed.ts";
import { faults } from "./faults.ts";

export { Hub } from "../objects/hub.ts";

let chaosOverride: ChaosSettings | undefined | null = null;

function chaosOf(env: Env): ChaosSettings | undefined {
  return chaosOverride === null ? parseChaos(env.QUEUE_CHAOS) : chaosOverride;
}

/** The env with its producer bindings made chaotic, when chaos is on. */
function withChaos(env: Env): Env {
  if (env.FAULTS !== "1" || chaosOf(env) === undefined) return env;
  const settings = () => chaosOf(env) ?? { duplicate: 0, maxDelaySeconds: 0, shuffle: false };
  return {
    ...env,
    DELIVERY_QUEUE: chaoticQueue(env.DELIVERY_QUEUE, settings),
    WEBHOOK_QUEUE: chaoticQueue(env.WEBHOOK_QUEUE, settings),
  };
}

const app = createApp({
  devRoutes: (root) =>
    root.route(
      "/v1/dev",
      devRoutes((settings) => {
        chaosOverride = settings;
      }),
    ),
  afterAuth: (api) => api.use("*", async (c, next) => (c.env.FAULTS === "1" ? faults()(c, next) : next())),
});

/** The consumer RPC, sending through the chaos like the rest of the test Worker. */
export class ConsumerApi extends BaseConsumerApi {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, withChaos(env));
  }
}

/** The subject objects, sending through the chaos like the rest of the test Worker. */
export class Subject extends BaseSubject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withChaos(env));
  }
}

export default {
  async fetch(request, env, ctx) {
    await seedOnce(env);
    return app.fetch(request, withChaos(env), ctx);
  },
  queue: (batch, env) => handleQueue(batch, withChaos(env)),
} satisfies ExportedHandler<Env>;
