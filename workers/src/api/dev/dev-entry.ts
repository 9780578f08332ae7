/**
 * @module
 * The API Worker's entry for the `dev` and `test` environments: the production API plus the
 * dev routes (`/v1/dev/*`), seeding, and in `test` the fault layer and the queue chaos that
 * shuffles, duplicates and delays messages, and the benchmark's meters (meters.ts).
 * wrangler.toml points only these environments here, so none of it is in the production bundle.
 */

import { ConsumerApi as BaseConsumerApi } from "../consumer-api.ts";
import { createApp } from "../http/app.ts";
import { Subject as BaseSubject } from "../objects/subject.ts";
import { handleQueue } from "../queues/queue.ts";
import { type ChaosSettings, chaoticQueue, parseChaos } from "./chaos-queue.ts";
import { devRoutes } from "./dev-routes.ts";
import { seedOnce } from "./dev-seed.ts";
import { faults } from "./faults.ts";
import { meteredEnv, meterStorage } from "./metered-bindings.ts";
import {
  addConsumerMeters,
  type ConsumerMeters,
  liveMeters,
  metered,
  noteCompleted,
  noteObject,
} from "./meters.ts";

export { Hub } from "../objects/hub.ts";

let chaosOverride: ChaosSettings | undefined | null = null;

function chaosOf(env: Env): ChaosSettings | undefined {
  return chaosOverride === null ? parseChaos(env.QUEUE_CHAOS) : chaosOverride;
}

/** The env with its bindings metered (METERED=1) and its producer bindings made chaotic (chaos on). */
function withChaos(unmetered: Env): Env {
  const env = metered(unmetered) ? meteredEnv(unmetered) : unmetered;
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

/** The consumer RPC, sending through the chaos like the rest of the test Worker, and metered. */
export class ConsumerApi extends BaseConsumerApi {
  readonly #meters = liveMeters().consumerApi;

  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, withChaos(env));
  }

  override claim(...args: Parameters<BaseConsumerApi["claim"]>): ReturnType<BaseConsumerApi["claim"]> {
    this.#meters.claims++;
    this.#meters.claimed += args[0].length;
    return super.claim(...args);
  }

  override complete(
    ...args: Parameters<BaseConsumerApi["complete"]>
  ): ReturnType<BaseConsumerApi["complete"]> {
    this.#meters.completes++;
    this.#meters.completed += args[0].length;
    return super.complete(...args);
  }

  override fail(...args: Parameters<BaseConsumerApi["fail"]>): ReturnType<BaseConsumerApi["fail"]> {
    this.#meters.fails++;
    return super.fail(...args);
  }

  /** A metered consumer Worker's counts (the cost benchmark's): kept with METERED=1 only. */
  reportMeters(report: ConsumerMeters): void {
    if (metered(this.env)) addConsumerMeters(report);
  }
}

/**
 * The subject objects, sending through the chaos like the rest of the test Worker. They note
 * their tenant and count completions (what the benchmark polls), and with METERED=1 count their
 * storage calls.
 */
export class Subject extends BaseSubject {
  constructor(ctx: DurableObjectState, env: Env) {
    if (metered(env)) meterStorage(ctx.storage);
    super(ctx, withChaos(env));
  }

  override ingest(...args: Parameters<BaseSubject["ingest"]>): ReturnType<BaseSubject["ingest"]> {
    noteObject(this.ctx.id.toString(), args[0].tenant);
    return super.ingest(...args);
  }

  override async complete(...args: Parameters<BaseSubject["complete"]>): ReturnType<BaseSubject["complete"]> {
    await super.complete(...args);
    noteCompleted(this.ctx.id.toString(), args[0].length);
  }
}

export default {
  async fetch(request, env, ctx) {
    await seedOnce(env);
    if (metered(env) && !new URL(request.url).pathname.startsWith("/v1/dev/"))
      liveMeters().invocations.http++;
    return app.fetch(request, withChaos(env), ctx);
  },
  queue: (batch, env) => {
    if (metered(env)) liveMeters().invocations.queueBatches++;
    return handleQueue(batch, withChaos(env));
  },
} satisfies ExportedHandler<Env>;
