import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  deliveryRef,
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
import { claimDeliveries, failDelivery } from "./queues/consumer-calls.ts";
import { handleQueue } from "./queues/queue.ts";

const fatal = { name: "NonRetryableError", code: "boom", message: "Boom", retryable: false };

/** A task on a fresh topic with one webhook subscription, held back an hour on the queue. */
async function heldTask(prefix: string) {
  const { tenant, key } = await newTenant();
  const [hook] = await topicWith(key, "dead.path", [
    { kind: "webhook", target: "https://hooks.example.com/x" },
  ]);
  const [id] = ids(prefix, 1) as [string];
  await submit(key, [{ id, topic: "dead.path", payload: {}, delaySeconds: 3600 }]);
  return { tenant, key, id, ref: await deliveryRef(tenant, "", id, hook?.id ?? "") };
}

type Letter = { id: string; taskId: string; error: { code: string } };

/** The tenant's dead letters, once `count` of them are listed (objects feed them to D1). */
async function deadLetters(key: string, count = 1): Promise<Letter[]> {
  return waitFor(async () => {
    const { deadLetters } = await json<{ deadLetters: Letter[] }>(key, "GET", "/v1/dead-letters");
    return deadLetters.length >= count ? deadLetters : undefined;
  });
}

describe("a delivery going dead", () => {
  it("records its dead letter and the task's status where it dies, with no dead-letter queue message", async () => {
    const { key, id, ref } = await heldTask("own-give-up");
    expect((await claimDeliveries(env, [ref]))[0]?.action).toBe("run");
    expect(await failDelivery(env, ref, fatal)).toEqual({ action: "dead" });
    expect((await deadLetters(key)).map((l) => [l.taskId, l.error.code])).toEqual([[id, "boom"]]);
    expect((await views(key, [id]))[0]?.status).toBe("dead");
  });

  it("keeps the name and details of a consumer's error, so a client can rebuild the app's class", async () => {
    const { key, id, ref } = await heldTask("app-error");
    await claimDeliveries(env, [ref]);
    const declined = {
      name: "PaymentDeclined",
      code: "payment_declined",
      message: "The card was declined.",
      retryable: false,
      details: { reason: "insufficient_funds" },
    };
    expect(await failDelivery(env, ref, declined)).toEqual({ action: "dead" });
    const [view] = await views(key, [id]);
    expect(view?.deliveries[0]?.lastError).toEqual({
      name: "PaymentDeclined",
      code: "payment_declined",
      message: "The card was declined.",
      details: { reason: "insufficient_funds" },
    });
  });

  it("dies at the claim after its last attempt when no outcome was ever reported", async () => {
    const { key, id, ref } = await heldTask("no-report");
    // The test environment allows 5 attempts: a consumer that dies each time claims 5 times.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const [claim] = await claimDeliveries(env, [ref]);
      expect(claim?.action === "run" && claim.task.attempt).toBe(attempt);
    }
    expect(await claimDeliveries(env, [ref])).toEqual([{ action: "skip", reason: "dead" }]);
    expect((await deadLetters(key)).map((l) => [l.taskId, l.error.code])).toEqual([
      [id, "attempts_exhausted"],
    ]);
    const [view] = await views(key, [id]);
    expect([view?.status, view?.deliveries[0]?.attempts]).toEqual(["dead", 5]);
  });

  it("records a delivery the platform gave up on, and a second copy of its message changes nothing", async () => {
    const { key, id, ref } = await heldTask("platform");
    const message = { id: "d1", timestamp: new Date(), attempts: 101, body: ref };
    await handleQueue(createMessageBatch(env.DEAD_LETTER_QUEUE_NAME, [message]), env);
    const [first] = await deadLetters(key);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await handleQueue(createMessageBatch(env.DEAD_LETTER_QUEUE_NAME, [{ ...message, id: "d2" }]), env);
    expect((await deadLetters(key)).map((l) => [l.taskId, l.error.code])).toEqual([
      [id, "redeliveries_exhausted"],
    ]);
    // The same letter: not recorded again (its time would move).
    expect(await deadLetters(key)).toEqual([first]);
    expect((await views(key, [id]))[0]?.status).toBe("dead");
  });

  it("sends a delivery again when its queue message was lost, and a replayed one goes back to pending", async () => {
    const { tenant, key, ref } = await heldTask("lost");
    const sentAt = () =>
      subjectSql<{ sent_at: number; expect_by: number; status: string }>(
        tenant,
        "",
        "SELECT sent_at, expect_by, status FROM deliveries WHERE task_key = ? AND subscription = ?",
        ref.task,
        ref.subscription,
      );
    // As if it was sent long ago and its message then lost: nothing claimed it in time.
    await subjectSql(
      tenant,
      "",
      "UPDATE deliveries SET sent_at = 1, expect_by = 2, due_at = 0 WHERE task_key = ?",
      ref.task,
    );
    await repairSubject(tenant, "");
    const [again] = await sentAt();
    expect(again?.sent_at).toBeGreaterThan(1);
    expect(again?.expect_by).toBeGreaterThan(Date.now());
    await claimDeliveries(env, [ref]);
    expect(await failDelivery(env, ref, fatal)).toEqual({ action: "dead" });
    const [letter] = await deadLetters(key);
    expect((await call(key, "POST", `/v1/dead-letters/${letter?.id}/replay`)).status).toBe(200);
    expect((await sentAt())[0]?.status).toBe("pending");
  });

  it("is not replayed to a subscription deleted since", async () => {
    const { key, id, ref } = await heldTask("replay-deleted");
    await claimDeliveries(env, [ref]);
    await failDelivery(env, ref, fatal);
    const [letter] = await deadLetters(key);
    await json(key, "DELETE", `/v1/topics/dead.path/subscriptions/${ref.subscription}`);
    const response = await call(key, "POST", `/v1/dead-letters/${letter?.id}/replay`);
    expect([response.status, await response.json()]).toMatchObject([404, { error: { code: "not_found" } }]);
    const [view] = await views(key, [id]);
    expect([view?.status, view?.deliveries.map((d) => d.status)]).toEqual(["dead", ["dead"]]);
  });
});
