/**
 * The delivery queues declared in wrangler.toml. Cloudflare fixes queue bindings at deploy
 * time, so a `queue` subscription may only name a queue listed in the `DELIVERY_QUEUES` var,
 * a JSON map from queue name to the producer binding that sends to it.
 */

/** The declared delivery queues: queue name → producer binding. */
export function deliveryQueues(env: Env): Map<string, Queue> {
  const map = new Map<string, Queue>();
  let declared: unknown;
  try {
    declared = JSON.parse(env.DELIVERY_QUEUES);
  } catch {
    return map;
  }
  if (typeof declared !== "object" || declared === null) return map;
  for (const [name, binding] of Object.entries(declared)) {
    const queue =
      typeof binding === "string" ? (env as unknown as Record<string, unknown>)[binding] : undefined;
    if (isQueue(queue)) map.set(name, queue);
  }
  return map;
}

function isQueue(value: unknown): value is Queue {
  return typeof value === "object" && value !== null && typeof (value as Queue).sendBatch === "function";
}
