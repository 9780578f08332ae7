import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  deliveryRef,
  effects,
  flipSwitch,
  ids,
  json,
  newTenant,
  repairSubject,
  subjectSql,
  submit,
  topicWith,
  views,
  waitFor,
} from "../../test/edge.ts";
import { claimDeliveries } from "./queues/consumer-calls.ts";

const TOPIC = "test.effect";

/** A tenant whose topic has one queue subscription with this `onDead`, and three tasks on one key. */
async function keyWithDeadHead(onDead?: "continue" | "halt") {
  const { tenant, key } = await newTenant();
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
  return { tenant, key, subscription: subscription?.id ?? "", head, second, third, fatal, letter };
}

const allDelivered = (key: string, taskIds: string[]) => async () =>
  (await views(key, taskIds)).every((v) => v.status === "delivered") ? true : undefined;

describe("onDead", () => {
  describe("when a subscription halts on dead", () => {
    it("stops the key at its dead head until the dead letter is replayed, then delivers the rest in order", {
      timeout: 60_000,
    }, async () => {
      const { tenant, key, subscription, head, second, third, fatal, letter } = await keyWithDeadHead("halt");
      const listed = await json<{ subscriptions: { id: string; onDead: string }[] }>(
        key,
        "GET",
        `/v1/topics/${TOPIC}/subscriptions`,
      );
      // The alarm's look, with both overdue: nothing behind a halting dead head may go.
      await subjectSql(tenant, "", "UPDATE deliveries SET expect_by = 1 WHERE status = 'pending'");
      await repairSubject(tenant, "");
      const [claim] = await claimDeliveries(env, [await deliveryRef(tenant, "", second, subscription)]);
      const held = await subjectSql(
        tenant,
        "",
        `SELECT t.id, d.status, d.attempts, d.sent_at FROM deliveries d JOIN tasks t ON t.key = d.task_key
         WHERE t.id IN (?, ?) ORDER BY t.key`,
        second,
        third,
      );
      expect(listed.subscriptions).toEqual([expect.objectContaining({ id: subscription, onDead: "halt" })]);
      expect(claim).toEqual({ action: "wait", delaySeconds: expect.any(Number) });
      expect(held).toEqual([
        { id: second, status: "pending", attempts: 0, sent_at: null },
        { id: third, status: "pending", attempts: 0, sent_at: null },
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
