/**
 * Claim, complete and fail, routed to the subject objects the delivery messages name (a batch is
 * split by object): what the consumer RPC entrypoint and the webhook sender both call.
 */
import type { JsonValue, SerializedError } from "@errand/core";
import type { Claim, DeliveryRef, FailOutcome } from "@errand/edge";
import { subscriptionLive } from "../auth/topic-config.ts";
import { objectByHex } from "../objects/subject-ref.ts";

/**
 * Claims deliveries, one call per object named. A delivery to a subscription deleted since it
 * was stored is cancelled there and skipped.
 */
export async function claimDeliveries(env: Env, refs: readonly DeliveryRef[]): Promise<Claim[]> {
  const claims: Claim[] = refs.map(() => ({ action: "skip", reason: "unknown" }));
  await Promise.all(
    [...byObject(refs)].map(async ([hex, list]) => {
      const object = objectByHex(env, hex);
      if (!object) return;
      const answers = await object.claim(list.map(({ ref }) => ref));
      await Promise.all(
        list.map(async ({ ref, index }, i) => {
          const claim = answers[i] ?? { action: "skip", reason: "unknown" };
          if (claim.action === "run" && !(await subscriptionLive(env, claim.task.tenant, ref.subscription))) {
            await object.dropSubscription(ref.subscription);
            claims[index] = { action: "skip", reason: "cancelled" };
            return;
          }
          claims[index] = claim;
        }),
      );
    }),
  );
  return claims;
}

/** Records successful attempts, one call per object named. */
export async function completeDeliveries(
  env: Env,
  items: readonly { ref: DeliveryRef; result?: JsonValue }[],
): Promise<void> {
  const groups = new Map<string, { ref: DeliveryRef; result?: JsonValue }[]>();
  for (const item of items) groups.set(item.ref.object, [...(groups.get(item.ref.object) ?? []), item]);
  await Promise.all([...groups].map(([hex, list]) => objectByHex(env, hex)?.complete(list)));
}

/** Records a failed attempt: retry after the answer's delay, or dead. */
export async function failDelivery(
  env: Env,
  ref: DeliveryRef,
  error: SerializedError,
  retryAfterSeconds = 0,
): Promise<FailOutcome> {
  const object = objectByHex(env, ref.object);
  if (!object) return { action: "dead" };
  return object.fail(ref, error, retryAfterSeconds);
}

function byObject(refs: readonly DeliveryRef[]): Map<string, { ref: DeliveryRef; index: number }[]> {
  const groups = new Map<string, { ref: DeliveryRef; index: number }[]>();
  refs.forEach((ref, index) => {
    groups.set(ref.object, [...(groups.get(ref.object) ?? []), { ref, index }]);
  });
  return groups;
}
