import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  effects,
  flipSwitch,
  ids,
  json,
  newTenant,
  submit,
  topicWith,
  views,
  waitFor,
} from "../../test/edge.ts";
import { claimDeliveries } from "./objects/delivery-ops.ts";
import { advanceKeys } from "./objects/router.ts";

const TOPIC = "test.effect";

/** A tenant whose topic has one queue subscription with this `onDead`, and three tasks on one key. */
async function keyWithDeadHead(onDead?: "continue" | "halt") {
  const { key } = await newTenant();
  const [subscription] = await topicWith(key, TOPIC, [
    { kind: "queue", target: "errand-delivery", ...(onDead === undefined ? {} : { onDead }) },
  ]);
  const [head, second, third] = ids(`dead-${onDead ?? "default"}`, 3) as [string, string, string];
  const fatal = `switch-${head}`;
  await flipSwitch(fatal, true);
  await submit(key, [
    { id: head, topic: TOPIC, payload: { fatalWhile: fatal }, orderingKey: "k" },
    { id: second, topic: TOPIC, payload: {}, orderingKey: "k" },
    { id: third, topic: TOPIC, payload: {}, orderingKey: "k" },
  ]);
  const letter = await waitFor(async () => {
    const { deadLetters } = await json<{ deadLetters: { id: string; taskId: string }[] }>(
      key,
      "GET",
      "/v1/dead-letters",
    );
    return deadLetters.find((l) => l.taskId === head);
  });
  return { key, subscription: subscription?.id ?? "", head, second, third, fatal, letter };
}

async function taskKey(id: string): Promise<number> {
  const row = await env.DB.prepare("SELECT key FROM tasks WHERE id = ?").bind(id).first<{ key: number }>();
  if (!row) throw new Error(`no task ${id}`);
  return row.key;
}

const allDelivered = (key: string, taskIds: string[]) => async () =>
  (await views(key, taskIds)).every((v) => v.status === "delivered") ? true : undefined;

describe("onDead", () => {
  describe("when a subscription halts on dead", () => {
    it("stops the key at its dead head until the dead letter is replayed, then delivers the rest in order", {
      timeout: 60_000,
    }, async () => {
      const { key, subscription, head, second, third, fatal, letter } = await keyWithDeadHead("halt");
      const listed = await json<{ subscriptions: { id: string; onDead: string }[] }>(
        key,
        "GET",
        `/v1/topics/${TOPIC}/subscriptions`,
      );
      // What finishing the head does, done again now: nothing behind a halting dead head may go.
      const okey = JSON.stringify(["", "k"]);
      await advanceKeys(env, [{ subscription, okey }]);
      const [claim] = await claimDeliveries(env, [{ task: await taskKey(second), subscription }]);
      const held = await env.DB.prepare(
        `SELECT t.id, d.status, d.attempts, d.dispatched_at FROM deliveries d JOIN tasks t ON t.key = d.task_key
         WHERE t.id IN (?, ?) ORDER BY t.key`,
      )
        .bind(second, third)
        .all();
      expect(listed.subscriptions).toEqual([expect.objectContaining({ id: subscription, onDead: "halt" })]);
      expect(claim).toEqual({ action: "wait", delaySeconds: expect.any(Number) });
      expect(held.results).toEqual([
        { id: second, status: "pending", attempts: 0, dispatched_at: null },
        { id: third, status: "pending", attempts: 0, dispatched_at: null },
      ]);
      expect(await effects([head, second, third])).toEqual([]);

      await flipSwitch(fatal, false);
      await json(key, "POST", `/v1/dead-letters/${letter.id}/replay`);
      await waitFor(allDelivered(key, [head, second, third]), 45_000, "all three delivered");
      expect((await effects([head, second, third])).map((e) => e.task_id)).toEqual([head, second, third]);
    });
  });

  describe("by default (continue)", () => {
    it("moves the key on past its dead head, in order", { timeout: 60_000 }, async () => {
      const { key, head, second, third, fatal } = await keyWithDeadHead();
      await waitFor(allDelivered(key, [second, third]), 45_000, "the rest delivered");
      await flipSwitch(fatal, false);
      const listed = await json<{ subscriptions: { onDead: string }[] }>(
        key,
        "GET",
        `/v1/topics/${TOPIC}/subscriptions`,
      );
      expect(listed.subscriptions.map((s) => s.onDead)).toEqual(["continue"]);
      expect((await views(key, [head]))[0]?.status).toBe("dead");
      expect((await effects([head, second, third])).map((e) => e.task_id)).toEqual([second, third]);
    });
  });
});
