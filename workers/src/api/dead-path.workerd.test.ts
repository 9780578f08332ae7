import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, ids, json, newTenant, submit, topicWith, views, waitFor } from "../../test/edge.ts";
import { claimDeliveries, failDelivery } from "./objects/delivery-ops.ts";
import { repairOnce } from "./objects/repair.ts";
import { handleQueue } from "./queues/queue.ts";

const fatal = { name: "NonRetryableError", code: "boom", message: "Boom", retryable: false };

/** A task on a fresh topic with one webhook subscription, held back an hour on the queue. */
async function heldTask(prefix: string) {
  const { key } = await newTenant();
  const [hook] = await topicWith(key, "dead.path", [
    { kind: "webhook", target: "https://hooks.example.com/x" },
  ]);
  const [id] = ids(prefix, 1) as [string];
  await submit(key, [{ id, topic: "dead.path", payload: {}, delaySeconds: 3600 }]);
  const row = await env.DB.prepare("SELECT key FROM tasks WHERE id = ?").bind(id).first<{ key: number }>();
  return { key, id, ref: { task: row?.key ?? 0, subscription: hook?.id ?? "" } };
}

async function deadLetters(key: string) {
  const { deadLetters } = await json<{
    deadLetters: { id: string; taskId: string; error: { code: string } }[];
  }>(key, "GET", "/v1/dead-letters");
  return deadLetters;
}

describe("a delivery going dead", () => {
  it("records its dead letter and the task's status even when the dead-letter queue refuses the send", async () => {
    const { key, id, ref } = await heldTask("dlq-down");
    expect((await claimDeliveries(env, [ref]))[0]?.action).toBe("run");
    const broken = {
      ...env,
      DEAD_LETTER_QUEUE: { send: () => Promise.reject(new Error("queue down")) },
    } as unknown as Env;
    expect(await failDelivery(broken, ref, fatal)).toEqual({ action: "dead" });
    expect((await deadLetters(key)).map((l) => [l.taskId, l.error.code])).toEqual([[id, "boom"]]);
    expect((await views(key, [id]))[0]?.status).toBe("dead");
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

  it("lets repair queue again a task whose ingest message the platform gave up on", async () => {
    const { key, id, ref } = await heldTask("ingest-dead");
    const queued = () =>
      env.DB.prepare("SELECT queued_at, routed_at FROM tasks WHERE key = ?")
        .bind(ref.task)
        .first<{ queued_at: number | null; routed_at: number | null }>();
    // Ingest marks a task queued after answering (waitUntil).
    await waitFor(async () => ((await queued())?.queued_at ? true : undefined));
    const message = { id: "i1", timestamp: new Date(), attempts: 101, body: { key: ref.task } };
    await handleQueue(createMessageBatch(env.DEAD_LETTER_QUEUE_NAME, [message]), env);
    expect(await queued()).toEqual({ queued_at: null, routed_at: null });
    // Accepted before time 0, so that only this task is older than the cut: the D1 is shared,
    // and other files store made-up tasks accepted at time 0. (Another file's repair pass may
    // queue it first: either way it is queued again.)
    await env.DB.prepare("UPDATE tasks SET accepted_at = -1 WHERE key = ?").bind(ref.task).run();
    await repairOnce(env, 0);
    expect((await queued())?.queued_at).not.toBeNull();
    expect((await views(key, [id]))[0]?.status).toBe("queued");
  });

  it("leaves a replayed delivery pending when the dead-letter queue's copy of its death arrives late", async () => {
    const { key, ref } = await heldTask("late-copy");
    await claimDeliveries(env, [ref]);
    const sent: unknown[] = [];
    const capturing = {
      ...env,
      DEAD_LETTER_QUEUE: { send: async (body: unknown) => sent.push(body) },
    } as unknown as Env;
    expect(await failDelivery(capturing, ref, fatal)).toEqual({ action: "dead" });
    expect(sent).toHaveLength(1);
    const [letter] = await deadLetters(key);
    expect((await call(key, "POST", `/v1/dead-letters/${letter?.id}/replay`)).status).toBe(200);
    const status = () =>
      env.DB.prepare("SELECT status FROM deliveries WHERE task_key = ? AND subscription = ?")
        .bind(ref.task, ref.subscription)
        .first<{ status: string }>();
    expect(await status()).toEqual({ status: "pending" });
    const message = { id: "late", timestamp: new Date(), attempts: 1, body: sent[0] as typeof ref };
    await handleQueue(createMessageBatch(env.DEAD_LETTER_QUEUE_NAME, [message]), env);
    expect(await status()).toEqual({ status: "pending" });
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
