import { env } from "cloudflare:workers";
import type { DeliveryRef } from "@errand/edge";
import { afterEach, describe, expect, it } from "vitest";
import {
  api,
  call,
  deliveryRef,
  effects,
  ids,
  json,
  newTenant,
  openEvents,
  receipts,
  registerReceiver,
  repairSubject,
  subjectSql,
  submit,
  topicWith,
  type View,
  views,
  waitFor,
} from "../../test/edge.ts";
import { claimDeliveries, completeDeliveries, failDelivery } from "./queues/consumer-calls.ts";

describe("fan-out", () => {
  it("delivers one task to a queue consumer, a signed webhook and a live WebSocket client", async () => {
    const { key } = await newTenant();
    const receiver = `r-${crypto.randomUUID().slice(0, 8)}`;
    const [queueSub, hook, live] = await topicWith(key, "test.effect", [
      { kind: "queue", target: "errand-delivery", resultFrom: true },
      { kind: "webhook", target: `http://127.0.0.1:9/webhook/${receiver}` },
      { kind: "live", target: "sessions" },
    ]);
    await registerReceiver(receiver, [hook?.secret ?? ""]);
    const events = await openEvents(key);
    const [id] = ids("fan", 1) as [string];
    await submit(key, [{ id, topic: "test.effect", payload: { hello: "all" } }]);

    const view = await waitFor(async () => {
      const [v] = await views(key, [id]);
      return v?.status === "succeeded" ? v : undefined;
    });
    expect(view.result).toEqual({ applied: true });
    expect(Object.fromEntries(view.deliveries.map((d) => [d.subscription, d.status]))).toEqual({
      [queueSub?.id ?? ""]: "delivered",
      [hook?.id ?? ""]: "delivered",
      [live?.id ?? ""]: "delivered",
    });
    expect((await effects([id])).length).toBe(1);
    const got = await receipts(receiver);
    expect(got.map((r) => r.task_id)).toEqual([id]);
    expect(JSON.parse(got[0]?.body ?? "{}")).toMatchObject({
      id,
      topic: "test.effect",
      payload: { hello: "all" },
    });
    await waitFor(async () =>
      events.messages.some((m) => m.task.id === id && m.task.status === "succeeded") ? true : undefined,
    );
    events.socket.close();
  });

  it("delivers every task of an ordering key to a live subscription, not only the first", async () => {
    const { key } = await newTenant();
    await topicWith(key, "notes.live", [{ kind: "live", target: "sessions" }]);
    const taskIds = ids("live-key", 3);
    await submit(
      key,
      taskIds.map((id) => ({ id, topic: "notes.live", payload: {}, orderingKey: "k" })),
    );
    // Well before the repair alarm (30 s) could send the later ones.
    await waitFor(
      async () =>
        (await views(key, taskIds)).every((v) => v.deliveries.every((d) => d.status === "delivered"))
          ? true
          : undefined,
      10_000,
    );
  });

  it("pushes to live sessions the view of a key's next task once the key moves on to it", async () => {
    const { key } = await newTenant();
    const [live] = await topicWith(key, "notes.live", [{ kind: "live", target: "sessions" }]);
    const events = await openEvents(key);
    const [first, next] = ids("live-advance", 2) as [string, string];
    // Ingest delivers the key's head; only moving the key on delivers the next one, and only
    // that step pushes its view so.
    await submit(key, [
      { id: first, topic: "notes.live", payload: {}, orderingKey: "k" },
      { id: next, topic: "notes.live", payload: {}, orderingKey: "k" },
    ]);
    const pushed = await waitFor(
      async () =>
        events.messages.find((m) => m.task.id === next && m.task.deliveries[0]?.status === "delivered"),
      10_000,
      "the next task's view pushed with its live delivery made",
    );
    expect(pushed).toMatchObject({
      type: "task.status",
      task: {
        status: "delivered",
        deliveries: [{ subscription: live?.id, status: "delivered", attempts: 1 }],
      },
    });
    events.socket.close();
  });

  it("marks a webhook delivery dead when the receiver refuses the signature (a 4xx)", async () => {
    const { key } = await newTenant();
    const receiver = `r-${crypto.randomUUID().slice(0, 8)}`;
    await topicWith(key, "hooks", [{ kind: "webhook", target: `http://127.0.0.1:9/webhook/${receiver}` }]);
    await registerReceiver(receiver, ["whsec_not-the-right-one"]);
    const [id] = ids("forged", 1) as [string];
    await submit(key, [{ id, topic: "hooks", payload: 1 }]);
    const view = await waitFor(async () => {
      const [v] = await views(key, [id]);
      return v?.status === "dead" ? v : undefined;
    });
    expect(view.deliveries[0]).toMatchObject({
      status: "dead",
      attempts: 1,
      lastError: { code: "http_401" },
    });
    expect(await receipts(receiver)).toEqual([]);
  });

  it("keeps delivering with the old secret during a rotation's grace period", async () => {
    const { key } = await newTenant();
    const receiver = `r-${crypto.randomUUID().slice(0, 8)}`;
    const [hook] = await topicWith(key, "hooks", [
      { kind: "webhook", target: `http://127.0.0.1:9/webhook/${receiver}` },
    ]);
    await registerReceiver(receiver, [hook?.secret ?? ""]);
    await json(key, "POST", `/v1/topics/hooks/subscriptions/${hook?.id}/rotate-secret`);
    const [id] = ids("rotate", 1) as [string];
    await submit(key, [{ id, topic: "hooks", payload: 1 }]);
    await waitFor(async () => ((await views(key, [id]))[0]?.status === "delivered" ? true : undefined));
    expect((await receipts(receiver)).map((r) => r.task_id)).toEqual([id]);
  });

  it("keeps every rotated-out secret in its grace, and signs with none whose grace ended", async () => {
    const { key } = await newTenant();
    const receiver = `r-${crypto.randomUUID().slice(0, 8)}`;
    const [hook] = await topicWith(key, "hooks", [
      { kind: "webhook", target: `http://127.0.0.1:9/webhook/${receiver}` },
    ]);
    // The receiver knows only the first secret; the subscription rotates twice the same day.
    await registerReceiver(receiver, [hook?.secret ?? ""]);
    const rotate = `/v1/topics/hooks/subscriptions/${hook?.id}/rotate-secret`;
    const second = await json<{ secret: string }>(key, "POST", rotate);
    await json(key, "POST", rotate);
    // The single old secret that code from before migration 0006 reads is kept up too.
    expect(
      await env.DB.prepare("SELECT old_secret FROM subscriptions WHERE id = ?").bind(hook?.id).first(),
    ).toEqual({ old_secret: second.secret });
    const [kept, late] = ids("rotate-twice", 2) as [string, string];
    await submit(key, [{ id: kept, topic: "hooks", payload: 1 }]);
    await waitFor(async () => ((await views(key, [kept]))[0]?.status === "delivered" ? true : undefined));
    // Once the first secret's grace is over, a delivery signed without it is refused (401: dead).
    await env.DB.prepare(
      `UPDATE subscriptions SET old_secrets = (
         SELECT json_group_array(json_set(value, '$.until', 1)) FROM json_each(old_secrets)
       ) WHERE id = ?`,
    )
      .bind(hook?.id)
      .run();
    await submit(key, [{ id: late, topic: "hooks", payload: 1 }]);
    const view = await waitFor(async () => {
      const [v] = await views(key, [late]);
      return v?.status === "dead" ? v : undefined;
    });
    expect(view.deliveries[0]?.lastError).toMatchObject({ code: "http_401" });
    expect((await receipts(receiver)).map((r) => r.task_id)).toEqual([kept]);
  });

  it("keeps at most ten rotated-out secrets in their grace: an eleventh rotation the same day ends the oldest's", async () => {
    const { key } = await newTenant();
    const receiver = `r-${crypto.randomUUID().slice(0, 8)}`;
    const [hook] = await topicWith(key, "hooks", [
      { kind: "webhook", target: `http://127.0.0.1:9/webhook/${receiver}` },
    ]);
    const rotate = `/v1/topics/hooks/subscriptions/${hook?.id}/rotate-secret`;
    const rotated: string[] = [];
    for (let i = 0; i < 10; i++) rotated.push((await json<{ secret: string }>(key, "POST", rotate)).secret);
    const [oldest, secondOldest] = [hook?.secret ?? "", rotated[0] ?? ""];
    const taskIds = ids("rotate-eleven", 3);
    // Sends one task to a receiver that knows only `secret`; returns the task once it is final.
    const deliverTo = async (secret: string, id: string) => {
      await registerReceiver(receiver, [secret]);
      await submit(key, [{ id, topic: "hooks", payload: 1 }]);
      return waitFor(async () => {
        const [v] = await views(key, [id]);
        return v?.status === "delivered" || v?.status === "dead" ? v : undefined;
      });
    };
    expect((await deliverTo(oldest, taskIds[0] ?? "")).status).toBe("delivered");
    await json(key, "POST", rotate);
    const late = await deliverTo(oldest, taskIds[1] ?? "");
    expect(late.status).toBe("dead");
    expect(late.deliveries[0]?.lastError).toMatchObject({ code: "http_401" });
    expect((await deliverTo(secondOldest, taskIds[2] ?? "")).status).toBe("delivered");
    expect((await receipts(receiver)).map((r) => r.task_id)).toEqual([taskIds[0], taskIds[2]]);
  });
});

describe("cancel", () => {
  // Without chaos the queues are first in, first out, so once the sibling (sent after the held
  // task) is delivered, anything the held task would have caused has happened: no fixed wait.
  const setChaos = (settings: object | null) =>
    api("/v1/dev/chaos", { method: "POST", body: settings === null ? "" : JSON.stringify(settings) });
  afterEach(async () => {
    await setChaos(null);
  });

  it("tombstones deliveries not yet made, so none is applied, and answers 409 once final", async () => {
    await setChaos({ duplicate: 0, maxDelaySeconds: 0, shuffle: false });
    const { tenant, key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const [held, sibling] = ids("cancel", 2) as [string, string];
    await submit(key, [
      { id: held, topic: "test.effect", payload: {}, delaySeconds: 2 },
      { id: sibling, topic: "test.effect", payload: {}, delaySeconds: 2 },
    ]);
    const cancelled = await json<View>(key, "POST", `/v1/tasks/${held}/cancel`);
    expect(cancelled).toMatchObject({ id: held, status: "cancelled", deliveries: [{ status: "cancelled" }] });
    await waitFor(async () => ((await views(key, [sibling]))[0]?.status === "delivered" ? true : undefined));
    const [heldDelivery] = await subjectSql(
      tenant,
      "",
      "SELECT d.status, d.attempts FROM tasks t JOIN deliveries d ON d.task_key = t.key WHERE t.id = ?",
      held,
    );
    expect(heldDelivery).toEqual({ status: "cancelled", attempts: 0 });
    expect((await effects([held, sibling])).map((e) => e.task_id)).toEqual([sibling]);
    const again = await call(key, "POST", `/v1/tasks/${held}/cancel`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "already_final" } });
    expect((await call(key, "POST", `/v1/tasks/${sibling}/cancel`)).status).toBe(409);
    expect((await call(key, "POST", "/v1/tasks/unknown/cancel")).status).toBe(404);
  });

  it("holds the key of a cancelled task whose attempt is running until that attempt reports", async () => {
    const { first, ref, dispatched } = await cancelRunningHead("cancel-running");
    expect(await dispatched()).toBeNull();
    await completeDeliveries(env, [{ ref: ref(first) }]);
    expect(await dispatched()).not.toBeNull();
  });

  it("releases the key of a cancelled task when its running attempt reports a failure", async () => {
    const { key, first, next, ref, dispatched } = await cancelRunningHead("cancel-failing");
    expect(await dispatched()).toBeNull();
    // Retryable, with attempts left: had the delivery still been pending, this would be a retry.
    expect(await failDelivery(env, ref(first), flaky)).toEqual({ action: "dead" });
    // Checked at once: the repair alarm would re-route the next task by itself before long.
    expect(await dispatched()).not.toBeNull();
    await waitFor(async () => ((await views(key, [next]))[0]?.status === "delivered" ? true : undefined));
    expect((await views(key, [first]))[0]).toMatchObject({
      status: "cancelled",
      deliveries: [{ status: "cancelled" }],
    });
  });

  it("releases the key at once when the cancelled task's delivery is waiting out a retry backoff", async () => {
    const { key, next, dispatched } = await cancelRunningHead("cancel-backoff", async (head) => {
      // Its attempt failed and reported a retry an hour away: nothing of it runs any more.
      expect(await failDelivery(env, head, flaky, 3600)).toEqual({ action: "retry", delaySeconds: 3600 });
    });
    // Checked at once: without this the key would wait for the repair alarm.
    expect(await dispatched()).not.toBeNull();
    await waitFor(async () => ((await views(key, [next]))[0]?.status === "delivered" ? true : undefined));
  });

  it("holds the key until the last running copy of the cancelled task's delivery reports", async () => {
    const { first, ref, dispatched } = await cancelRunningHead("cancel-copies", async (head) => {
      // A duplicate message claims a second attempt beside the first.
      expect((await claimDeliveries(env, [head]))[0]?.action).toBe("run");
    });
    expect(await dispatched()).toBeNull();
    await completeDeliveries(env, [{ ref: ref(first) }]);
    expect(await dispatched()).toBeNull();
    expect(await failDelivery(env, ref(first), flaky)).toEqual({ action: "dead" });
    expect(await dispatched()).not.toBeNull();
  });

  it("keeps the alarm from moving the key of a cancelled running attempt for 15 minutes", async () => {
    const { tenant, first, next, ref, dispatched } = await cancelRunningHead("cancel-repair");
    // Due for a look long ago: only the hold keeps the alarm off it.
    await subjectSql(tenant, "", "UPDATE deliveries SET expect_by = 1 WHERE task_key = ?", ref(next).task);
    await repairSubject(tenant, "");
    expect(await dispatched()).toBeNull();
    // Cancelled 15 minutes ago: no attempt of it can still run.
    await subjectSql(
      tenant,
      "",
      "UPDATE deliveries SET updated_at = ?, expect_by = 1 WHERE task_key IN (?, ?)",
      Date.now() - 15 * 60_000 - 1_000,
      ref(first).task,
      ref(next).task,
    );
    await repairSubject(tenant, "");
    expect(await dispatched()).not.toBeNull();
  });

  it("holds the key when the cancelled task's failed attempt is claimed again before the cancel", async () => {
    const { dispatched } = await cancelRunningHead("cancel-reclaimed", async (head) => {
      expect((await failDelivery(env, head, flaky, 3600)).action).toBe("retry");
      // A duplicate message claims the next attempt: it runs, so the key stays held.
      expect((await claimDeliveries(env, [head]))[0]?.action).toBe("run");
    });
    expect(await dispatched()).toBeNull();
  });
});

/** A retryable failure, as a consumer reports one. */
const flaky = { name: "Error", message: "flaky", code: "unexpected_error", retryable: true };

/**
 * Two tasks on one ordering key; ingest sends the first (held back an hour on the queue, so only
 * this test's calls claim it) and holds the next behind it; a consumer claims the first one's
 * delivery (its attempt runs), `beforeCancel` does what else the test needs, and the first task
 * is then cancelled.
 */
async function cancelRunningHead(
  label: string,
  beforeCancel: (head: DeliveryRef) => Promise<void> = async () => {},
) {
  const { tenant, key } = await newTenant();
  const [sub] = await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
  const [first, next] = ids(label, 2) as [string, string];
  await submit(key, [
    { id: first, topic: "test.effect", payload: {}, orderingKey: "k", delaySeconds: 3600 },
    { id: next, topic: "test.effect", payload: {}, orderingKey: "k" },
  ]);
  const refs = new Map([
    [first, await deliveryRef(tenant, "", first, sub?.id ?? "")],
    [next, await deliveryRef(tenant, "", next, sub?.id ?? "")],
  ]);
  const ref = (id: string) => refs.get(id) as DeliveryRef;
  expect((await claimDeliveries(env, [ref(first)]))[0]?.action).toBe("run");
  const dispatched = async () =>
    (
      await subjectSql<{ sent_at: number | null }>(
        tenant,
        "",
        "SELECT sent_at FROM deliveries WHERE task_key = ?",
        ref(next).task,
      )
    )[0]?.sent_at ?? null;
  await beforeCancel(ref(first));
  await json(key, "POST", `/v1/tasks/${first}/cancel`);
  return { tenant, key, first, next, ref, dispatched };
}
