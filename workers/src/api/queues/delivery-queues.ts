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

/**
 * The queue a delivery goes to. A target names one declared queue, or ends in `*` to spread a
 * subscription over every declared queue whose name starts with the rest (when one queue's
 * throughput is not enough): each subject's object always picks the same one of them, by its
 * id, so a subject's ordering keys stay in one queue. Undefined when nothing declared matches.
 */
export function queueFor<Q>(queues: ReadonlyMap<string, Q>, target: string, object: string): Q | undefined {
  if (!target.endsWith("*")) return queues.get(target);
  const prefix = target.slice(0, -1);
  const names = [...queues.keys()].filter((name) => name.startsWith(prefix)).sort();
  if (names.length === 0) return undefined;
  const name = names[spread(object) % names.length] as string;
  return queues.get(name);
}

/** Whether a subscription target names a declared queue (or a prefix of some, ending in `*`). */
export function isDeclaredTarget(queues: ReadonlyMap<string, unknown>, target: string): boolean {
  return queueFor(queues, target, "") !== undefined;
}

/** A number from an object id (hex): its first 8 hex digits, or 0. */
function spread(object: string): number {
  const n = Number.parseInt(object.slice(0, 8), 16);
  return Number.isFinite(n) ? n : 0;
}
