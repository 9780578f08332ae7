/**
 * `defineConsumer`: a typed edge consumer of an Errand delivery queue. For each message it
 * claims the delivery from the API (skipping finished and cancelled tasks, waiting behind an
 * earlier task of the same ordering key), runs the handler of the task's topic, then commits
 * the handler's D1 writes together with an idempotency mark in one batch (one transaction), so
 * a redelivered task never applies twice, and reports the outcome so the task's status and
 * result follow. Each message is acked or retried on its own.
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
import { APPLIED_TABLE_SQL, findApplied, isDuplicateMark, markApplied } from "./applied-table.ts";
import { type ConsumerApiBinding, type DeliveryRef, isDeliveryRef } from "./consumer-protocol.ts";

/** What a handler gets besides its payload. */
export interface ConsumerContext<E> {
  /** The task's id (the publisher's idempotency key). */
  id: string;
  topic: string;
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
  write(statement: D1PreparedStatement): void;
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
  db: (env: E) => D1Database;
  /** The service binding to the Errand API's `ConsumerApi` entrypoint. */
  api: (env: E) => ConsumerApiBinding;
  /** Names this consumer's marks, so several consumers may share a database. */
  name?: string;
}

/** The queue handler {@link defineConsumer} returns. */
export interface Consumer<E> {
  queue(batch: MessageBatch<unknown>, env: E): Promise<void>;
}

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
  let tableReady: Promise<unknown> | undefined;
  const handlers = options.handlers as Record<
    string,
    ((payload: unknown, ctx: ConsumerContext<E>) => unknown) | undefined
  >;

  async function handle(message: Message<unknown>, env: E): Promise<void> {
    if (!isDeliveryRef(message.body)) {
      console.error("errand consumer: dropping a message that is not a delivery", message.body);
      return message.ack();
    }
    const ref: DeliveryRef = { task: message.body.task, subscription: message.body.subscription };
    const api = options.api(env);
    const db = options.db(env);
    const claim = await api.claim(ref);
    if (claim.action === "skip") return message.ack();
    if (claim.action === "wait") return message.retry({ delaySeconds: claim.delaySeconds });
    const { task } = claim;
    tableReady ??= db.prepare(APPLIED_TABLE_SQL).run();
    await tableReady;
    const applied = await findApplied(db, name, task.deliveryId);
    if (applied) {
      await api.complete(ref, parseResult(applied.result));
      return message.ack();
    }
    const handler = handlers[task.topic];
    const writes: D1PreparedStatement[] = [];
    let result: unknown;
    try {
      if (!handler) throw new NonRetryableError(`No handler for topic ${task.topic}`, { code: "no_handler" });
      result = await handler(task.payload, {
        id: task.id,
        topic: task.topic,
        subject: task.subject,
        attempt: task.attempt,
        deliveryId: task.deliveryId,
        ...(task.orderingKey === undefined ? {} : { orderingKey: task.orderingKey }),
        env,
        write: (statement) => writes.push(statement),
      });
    } catch (error) {
      const outcome = await api.fail(ref, serializeError(error));
      if (outcome.action === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
      else message.ack();
      return;
    }
    const encoded = result === undefined ? null : JSON.stringify(result);
    try {
      await db.batch([markApplied(db, name, task.deliveryId, task.id, encoded), ...writes]);
    } catch (error) {
      if (!isDuplicateMark(error)) throw error;
      // Another copy of this delivery committed first; report what it stored.
      const first = await findApplied(db, name, task.deliveryId);
      await api.complete(ref, parseResult(first?.result ?? null));
      return message.ack();
    }
    await api.complete(ref, parseResult(encoded));
    message.ack();
  }

  return {
    async queue(batch, env) {
      await Promise.all(
        batch.messages.map(async (message) => {
          try {
            await handle(message, env);
          } catch (error) {
            // The API or the database failed us: try again soon; the mark keeps it idempotent.
            console.error("errand consumer: delivery failed, retrying", error);
            message.retry({ delaySeconds: 1 });
          }
        }),
      );
    },
  };
}

function parseResult(encoded: string | null): JsonValue | undefined {
  return encoded === null ? undefined : (JSON.parse(encoded) as JsonValue);
}
