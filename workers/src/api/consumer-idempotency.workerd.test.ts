import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { defineTasks, task } from "@errand/core";
import { type DeliveryRef, defineConsumer } from "@errand/edge";
import { beforeAll, describe, expect, it } from "vitest";
import { deliveryRef, ids, newTenant, subjectSql, submit, topicWith, views } from "../../test/edge.ts";
import { claimDeliveries, completeDeliveries, failDelivery } from "./queues/consumer-calls.ts";

const tasks = defineTasks({ "test.effect": task<{ n: number }, { n: number }>() });
let invocations = 0;
/** The tenant each handler run was told, by task id. */
const tenants = new Map<string, string>();

// A consumer in this Worker, against the real API logic and the subjects' objects, so a test can hand it the
// same batch several times; its effects go to a table of its own.
const consumer = defineConsumer({
  tasks,
  db: () => env.DB,
  api: () => ({
    claim: (refs: DeliveryRef[]) => claimDeliveries(env, refs),
    complete: (items) => completeDeliveries(env, items),
    fail: (ref, error) => failDelivery(env, ref, error),
  }),
  name: "idempotency-test",
  handlers: {
    "test.effect": async (payload, ctx) => {
      invocations++;
      tenants.set(ctx.id, ctx.tenant);
      ctx.write(
        env.DB.prepare(
          // A payload of -1 makes a write that cannot commit (no such table).
          payload.n === -1
            ? "INSERT INTO no_such_table VALUES (?, ?)"
            : "INSERT INTO test_effects (task_id, n) VALUES (?, ?)",
        ).bind(ctx.id, payload.n),
      );
      return { n: payload.n };
    },
  },
});

beforeAll(async () => {
  await env.DB.prepare(
    "CREATE TABLE IF NOT EXISTS test_effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT, n INTEGER)",
  ).run();
});

describe("defineConsumer", () => {
  it("applies each task's effect once when the same batch arrives three times with every message twice", async () => {
    const { tenant, key } = await newTenant();
    const [sub] = await topicWith(key, "test.effect", [
      { kind: "queue", target: "errand-delivery", resultFrom: true },
    ]);
    const taskIds = ids("thrice", 20);
    // Held back an hour on the queue, so only this test's consumer sees them.
    await submit(
      key,
      taskIds.map((id, n) => ({ id, topic: "test.effect", payload: { n }, delaySeconds: 3600 })),
    );
    const refs = await Promise.all(taskIds.map((id) => deliveryRef(tenant, "", id, sub?.id ?? "")));
    const messages = [...refs, ...refs].map((body, i) => ({
      id: `m${i}`,
      timestamp: Date.now(),
      attempts: 1,
      body,
    }));
    const before = invocations;

    const runs = await Promise.all(
      [1, 2, 3].map(async () => {
        const batch = createMessageBatch("errand-delivery", messages);
        const ctx = createExecutionContext();
        await consumer.queue(batch, env);
        return getQueueResult(batch, ctx);
      }),
    );

    const rows = await env.DB.prepare(
      "SELECT task_id, count(*) AS n FROM test_effects WHERE task_id IN (SELECT value FROM json_each(?)) GROUP BY task_id",
    )
      .bind(JSON.stringify(taskIds))
      .all<{ task_id: string; n: number }>();
    expect(rows.results.map((r) => r.n)).toEqual(taskIds.map(() => 1));
    expect(invocations - before).toBeGreaterThanOrEqual(taskIds.length);
    for (const result of runs) expect(result.retryMessages).toEqual([]);
    const final = await views(key, taskIds);
    expect(final.map((v) => [v.status, v.result])).toEqual(taskIds.map((_, n) => ["succeeded", { n }]));
  });

  it("retries a message whose handler failed and skips a cancelled task", async () => {
    const { tenant, key } = await newTenant();
    const [sub] = await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const [cancelled] = ids("skip", 1) as [string];
    await submit(key, [{ id: cancelled, topic: "test.effect", payload: { n: 1 }, delaySeconds: 3600 }]);
    const ref = await deliveryRef(tenant, "", cancelled, sub?.id ?? "");
    await subjectSql(tenant, "", "UPDATE tasks SET cancelled_at = 1 WHERE key = ?", ref.task);
    const before = invocations;
    const batch = createMessageBatch<unknown>("errand-delivery", [
      { id: "c1", timestamp: Date.now(), attempts: 1, body: ref },
      { id: "junk", timestamp: Date.now(), attempts: 1, body: { not: "a delivery" } },
    ]);
    const ctx = createExecutionContext();
    await consumer.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(invocations).toBe(before);
    expect(result.explicitAcks.sort()).toEqual(["c1", "junk"]);
  });

  it.each([
    ["beside a good one", true],
    ["alone in its batch", false],
  ])(
    "commits a batch's good runs when one run's write fails (%s), and reports that one as a failed attempt",
    async (_, withGood) => {
      const { tenant, key } = await newTenant();
      const [sub] = await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
      const [good, poison] = ids("poison", 2) as [string, string];
      await submit(key, [
        { id: good, topic: "test.effect", payload: { n: 1 }, delaySeconds: 3600 },
        { id: poison, topic: "test.effect", payload: { n: -1 }, delaySeconds: 3600 },
      ]);
      const refOf = new Map([
        [good, await deliveryRef(tenant, "", good, sub?.id ?? "")],
        [poison, await deliveryRef(tenant, "", poison, sub?.id ?? "")],
      ]);
      const batch = createMessageBatch(
        "errand-delivery",
        (withGood ? [good, poison] : [poison]).map((id) => ({
          id,
          timestamp: new Date(),
          attempts: 1,
          body: refOf.get(id),
        })),
      );
      const ctx = createExecutionContext();
      await consumer.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual(withGood ? [good] : []);
      expect(result.retryMessages.map((m) => m.msgId)).toEqual([poison]);
      const [goodView, poisonView] = await views(key, [good, poison]);
      expect(goodView?.status).toBe(withGood ? "delivered" : "queued");
      expect(poisonView?.status).toBe("queued");
      expect(poisonView?.deliveries[0]).toMatchObject({ status: "pending", attempts: 1, lastError: {} });
      const applied = await env.DB.prepare("SELECT count(*) AS n FROM test_effects WHERE task_id = ?")
        .bind(good)
        .first<{ n: number }>();
      expect(applied?.n).toBe(withGood ? 1 : 0);
    },
  );

  it("tells a handler the tenant that published its task", async () => {
    const first = await newTenant();
    const second = await newTenant();
    const [id] = ids("tenant", 1) as [string];
    const refs = [];
    for (const { tenant, key } of [first, second]) {
      const [sub] = await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
      await submit(key, [{ id, topic: "test.effect", payload: { n: 0 }, delaySeconds: 3600 }]);
      refs.push(await deliveryRef(tenant, "", id, sub?.id ?? ""));
    }
    const seen: string[] = [];
    for (const ref of refs) {
      const batch = createMessageBatch("errand-delivery", [
        { id: "t", timestamp: new Date(), attempts: 1, body: ref },
      ]);
      await consumer.queue(batch, env);
      await getQueueResult(batch, createExecutionContext());
      seen.push(tenants.get(id) ?? "");
    }
    expect(seen).toEqual([first.tenant, second.tenant]);
  });
});
