import { defineConsumer } from "@errand/edge";
import { tasks } from "./tasks.ts";

const consumer = defineConsumer({
  tasks,
  db: (env: Env) => env.DB,
  api: (env) => env.ERRAND,
  handlers: {
    "orders.paid": async ({ orderId, cents }, ctx) => {
      // Committed with the delivery's idempotency mark: a redelivered task never applies twice.
      const insert = ctx.env.DB.prepare("INSERT INTO receipts (order_id, cents, task_id) VALUES (?, ?, ?)");
      ctx.write(insert.bind(orderId, cents, ctx.id));
      return { receipt: `r-${orderId}` };
    },
  },
});

export default { queue: consumer.queue } satisfies ExportedHandler<Env>;
