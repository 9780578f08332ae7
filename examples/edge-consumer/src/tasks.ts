import { defineTasks, task } from "@errand/core";

// The same map the browser app enqueues with: topic names are task types.
export const tasks = defineTasks({
  "orders.paid": task<{ orderId: string; cents: number }, { receipt: string }>({ version: 1 }),
});
