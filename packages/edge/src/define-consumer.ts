/**
 * `defineConsumer`: a typed edge consumer of an Errand delivery queue. For a batch it claims
 * the deliveries from the API in one call (finished and cancelled tasks are skipped; a task
 * behind an earlier one of its ordering key waits), runs the handler of each task's topic, then
 * commits the handlers' D1 writes together with an idempotency mark per delivery in one batch
 * (one transaction), so a redelivered task never applies twice, and reports the outcomes so
 * the tasks' statuses and results follow. Each message is acked or retried on its own.
 */
import {
  type JsonValue,
  NonRetryableError,
  type PayloadOf,
  type ResultOf,
  serializeError,
  type TaskMap,
  type TaskType,
} from "@errand/core";
import { APPLIED_TABLE_SQL, findAppliedMany, isDuplicateMark, markApplied } from "./applied-table.ts";
import {
  type Claim,
  type ClaimedTask,
  type ConsumerApiBinding,
  type DeliveryRef,
  isDeliveryRef,
} from "./consumer-protocol.ts";
import type { D1Like, D1Statement, QueueBatch, QueueMessage, ServiceBinding } from "./workers-shapes.ts";

/** What a handler gets besides its payload. */
export interface ConsumerContext<E> {
  /** The task's id (the publisher's idempotency key). */
  id: string;
  topic: string;
  /**
   * The tenant that published the task. A delivery queue carries every tenant's tasks, and
   * `id` and `subject` are unique only within a tenant.
   */
  tenant: string;
  /** Who published the task: a client token's subject, or `""` for a server key. */
  subject: string;
  /** 1-based attempt number. */
  attempt: number;
  orderingKey?: string;
  /** Stable across redeliveries: use it to dedupe effects outside D1. */
  deliveryId: string;
  env: E;
  /**
   * Adds a D1 write to commit atomically with the idempotency mark once the handler returns.
   * Writes made any other way are not protected against a redelivery.
   */
  write(statement: D1Statement): void;
}

/** A handler per task type; the topic a task was published to names its type. */
export type ConsumerHandlers<M extends TaskMap, E> = {
  [K in TaskType<M>]?: (
    payload: PayloadOf<M, K>,
    ctx: ConsumerContext<E>,
  ) => ResultOf<M, K> | Promise<ResultOf<M, K>>;
};

/** Options of {@link defineConsumer}. */
export interface ConsumerOptions<M extends TaskMap, E> {
  /** The app's `defineTasks` map: handler names and types come from it. */
  tasks: M;
  handlers: ConsumerHandlers<M, E>;
  /** The consumer's own D1 database, where its writes and idempotency marks live. */
  db: (env: E) => D1Like;
  /**
   * The service binding to the Errand API's `ConsumerApi` entrypoint (in wrangler's config:
   * `services = [{ binding = "ERRAND", service = "<the API Worker's name>", entrypoint =
   * "ConsumerApi" }]`). The `Service` type that `wrangler types` generates for it fits as is.
   */
  api: (env: E) => ConsumerApiBinding | ServiceBinding;
  /** Names this consumer's marks, so several consumers may share a database. */
  name?: string;
}

/** The queue handler {@link defineConsumer} returns. */
export interface Consumer<E> {
  queue(batch: QueueBatch, env: E): Promise<void>;
}

/** One delivery of a batch, with every message that carried it (duplicates share a fate). */
interface Group {
  ref: DeliveryRef;
  messages: QueueMessage[];
}

/** A handler run that returned, with its writes to commit. */
interface Applied {
  kind: "applied";
  group: Group;
  task: ClaimedTask;
  result: string | null;
  writes: D1Statement[];
}

/** What became of a handler run, before commit. */
type Ran = { kind: "done" } | Applied;

const RETRY_SOON = { delaySeconds: 1 };

/**
 * Defines a consumer. Export its `queue` as the Worker's queue handler.
 *
 * @example
 * ```ts
 * const consumer = defineConsumer({
 *   tasks,
 *   db: (env) => env.DB,
 *   api: (env) => env.ERRAND,
 *   handlers: {
 *     "orders.paid": async (payload, ctx) => {
 *       ctx.write(ctx.env.DB.prepare("INSERT INTO receipts (order_id) VALUES (?)").bind(payload.orderId));
 *       return { receipt: payload.orderId };
 *     },
 *   },
 * });
 * export default { queue: consumer.queue } satisfies ExportedHandler<Env>;
 * ```
 */
export function defineConsumer<M extends TaskMap, E>(options: ConsumerOptions<M, E>): Consumer<E> {
  const name = options.name ?? "default";
  const handlers = options.handlers as Record<
    string,
    ((payload: unknown, ctx: ConsumerContext<E>) => unknown) | undefined
  >;
  let tableReady: Promise<unknown> | undefined;

  async function run(
    group: Group,
    claim: Claim,
    env: E,
    api: ConsumerApiBinding,
    applied: Map<string, string | null>,
  ): Promise<Ran> {
    if (claim.action === "skip") return settle(group, "ack");
    if (claim.action === "wait") return settle(group, { delaySeconds: claim.delaySeconds });
    const { task } = claim;
    const stored = applied.get(task.deliveryId);
    if (stored !== undefined) return { kind: "applied", group, task, result: stored, writes: [] };
    const writes: D1Statement[] = [];
    try {
      const handler = handlers[task.topic];
      if (!handler) throw new NonRetryableError(`No handler for topic ${task.topic}`, { code: "no_handler" });
      const result = await handler(task.payload, {
        id: task.id,
        topic: task.topic,
        tenant: task.tenant,
        subject: task.subject,
        attempt: task.attempt,
        deliveryId: task.deliveryId,
        ...(task.orderingKey === undefined ? {} : { orderingKey: task.orderingKey }),
        env,
        write: (statement) => writes.push(statement),
      });
      return {
        kind: "applied",
        group,
        task,
        result: result === undefined ? null : JSON.stringify(result),
        writes,
      };
    } catch (error) {
      const outcome = await api.fail(group.ref, serializeError(error));
      return settle(group, outcome.action === "retry" ? { delaySeconds: outcome.delaySeconds } : "ack");
    }
  }

  /**
   * Commits every run's writes and marks in one batch. When that fails, commits one batch per
   * run, so one run's failing write or an already committed copy (its mark exists) cannot hold
   * the others back: a duplicate takes the result first committed, a failing run is returned in
   * `failed` with its error.
   */
  async function commit(
    db: D1Like,
    runs: Applied[],
    already: Map<string, string | null>,
  ): Promise<{ committed: Applied[]; failed: [Applied, unknown][] }> {
    const fresh = runs.filter((r) => !already.has(r.task.deliveryId));
    const statements = (list: readonly Applied[]) => [
      markApplied(
        db,
        name,
        list.map((r) => ({ delivery: r.task.deliveryId, taskId: r.task.id, result: r.result })),
      ),
      ...list.flatMap((r) => r.writes),
    ];
    const failed = new Map<Applied, unknown>();
    try {
      if (fresh.length > 0) await db.batch(statements(fresh));
    } catch (error) {
      for (const r of fresh) {
        // A lone run's failure is the batch's: no need to try it again.
        let single: unknown = error;
        if (fresh.length > 1) {
          try {
            await db.batch(statements([r]));
            continue;
          } catch (failure) {
            single = failure;
          }
        }
        if (!isDuplicateMark(single)) {
          failed.set(r, single);
          continue;
        }
        const first = await findAppliedMany(db, name, [r.task.deliveryId]);
        r.result = first.get(r.task.deliveryId) ?? null;
      }
    }
    return { committed: runs.filter((r) => !failed.has(r)), failed: [...failed] };
  }

  /** Reports a run whose commit failed as a failed attempt, and retries or acks per the answer. */
  async function failCommit(api: ConsumerApiBinding, run: Applied, error: unknown): Promise<void> {
    try {
      const outcome = await api.fail(run.group.ref, serializeError(error));
      settle(run.group, outcome.action === "retry" ? { delaySeconds: outcome.delaySeconds } : "ack");
    } catch (report) {
      console.error("errand consumer: reporting a failed commit failed, retrying", report);
      settle(run.group, RETRY_SOON);
    }
  }

  return {
    async queue(batch, env) {
      const groups = new Map<string, Group>();
      for (const message of batch.messages) {
        if (!isDeliveryRef(message.body)) {
          console.error("errand consumer: dropping a message that is not a delivery", message.body);
          message.ack();
          continue;
        }
        const ref = {
          task: message.body.task,
          subscription: message.body.subscription,
          object: message.body.object,
        };
        const key = `${ref.object}:${ref.task}:${ref.subscription}`;
        const group: Group = groups.get(key) ?? { ref, messages: [] };
        group.messages.push(message);
        groups.set(key, group);
      }
      const list = [...groups.values()];
      if (list.length === 0) return;
      // The API Worker's ConsumerApi entrypoint implements ConsumerApiBinding over RPC.
      const api = options.api(env) as ConsumerApiBinding;
      const db = options.db(env);
      try {
        const claims = await api.claim(list.map((g) => g.ref));
        tableReady ??= db.prepare(APPLIED_TABLE_SQL).run();
        await tableReady;
        // The API counts an attempt at each claim, before the handler runs, so a first attempt
        // cannot have been applied: only later attempts need their mark looked up.
        const again = claims.flatMap((c) =>
          c.action === "run" && c.task.attempt > 1 ? [c.task.deliveryId] : [],
        );
        const applied = await findAppliedMany(db, name, again);
        const runs = await Promise.all(
          list.map((group, i) =>
            run(group, claims[i] ?? { action: "wait", delaySeconds: 1 }, env, api, applied).catch(
              (error: unknown) => {
                console.error("errand consumer: delivery failed, retrying", error);
                return settle(group, RETRY_SOON);
              },
            ),
          ),
        );
        const toCommit = runs.filter((r): r is Applied => r.kind === "applied");
        if (toCommit.length === 0) return;
        let committed: Applied[] = toCommit;
        try {
          const outcome = await commit(db, toCommit, applied);
          committed = outcome.committed;
          await Promise.all(outcome.failed.map(([run, error]) => failCommit(api, run, error)));
          if (committed.length > 0) {
            await api.complete(
              committed.map((r) => ({
                ref: r.group.ref,
                ...(r.result === null ? {} : { result: JSON.parse(r.result) as JsonValue }),
              })),
            );
          }
          for (const r of committed) settle(r.group, "ack");
        } catch (error) {
          // The marks (if committed) keep a retry from applying twice; it reports again.
          console.error("errand consumer: commit or report failed, retrying", error);
          for (const r of committed) settle(r.group, RETRY_SOON);
        }
      } catch (error) {
        console.error("errand consumer: claim failed, retrying the batch", error);
        for (const group of list) settle(group, RETRY_SOON);
      }
    },
  };
}

function settle(group: Group, outcome: "ack" | { delaySeconds: number }): { kind: "done" } {
  for (const message of group.messages) {
    if (outcome === "ack") message.ack();
    else message.retry(outcome);
  }
  return { kind: "done" };
}
