import { defineTasks, type TaskState, task } from "@errand/core";
import type { DeliveryView } from "@errand/core/wire";
import { describe, expectTypeOf, it } from "vitest";
import type { EdgeTaskInfo } from "../lifecycle/outbox-record.ts";
import type { EdgeTaskEventDetail } from "../lifecycle/sync-events.ts";
import type { TaskEventDetail } from "../lifecycle/task-events.ts";
import type { Lease } from "../lifecycle/task-record.ts";
import type { createErrand } from "./create-errand.ts";
import type { Errand } from "./errand.ts";
import type { LocalTaskInfo, TaskHandle, TaskInfo } from "./runtime-types.ts";

const tasks = defineTasks({
  hash: task<{ text: string }, string>(),
  count: task<{ ids: number[] }, number>(),
  "orders.paid": task<{ orderId: string }, { receipt: string }>(),
});
type Tasks = typeof tasks;

// Never called: the calls below exist for their types only.
const errand = {} as Errand<Tasks>;

describe("the Errand interface", () => {
  it("is what createErrand resolves with, and shows none of the runtime's wiring", () => {
    expectTypeOf<ReturnType<typeof createErrand<Tasks>>>().toEqualTypeOf<Promise<Errand<Tasks>>>();
    for (const internal of ["attach", "attachEdge", "emitSync", "emitTask", "slots", "policyOf"] as const)
      expectTypeOf<Errand<Tasks>>().not.toHaveProperty(internal);
  });

  describe("when it hands out handles", () => {
    it("types enqueue's by the task's type, local or edge", () => {
      const local = () => errand.enqueue("hash", { text: "hi" });
      const edge = () => errand.enqueue("orders.paid", { orderId: "o-1" }, { target: "edge" });
      expectTypeOf(local).returns.resolves.toEqualTypeOf<TaskHandle<string>>();
      expectTypeOf(edge).returns.resolves.toEqualTypeOf<TaskHandle<{ receipt: string }>>();
    });

    it("types each of enqueueMany's by its item, in item order", () => {
      const many = () =>
        errand.enqueueMany([
          { type: "hash", payload: { text: "a" } },
          { type: "count", payload: { ids: [1, 2] } },
        ]);
      expectTypeOf(many).returns.resolves.toEqualTypeOf<[TaskHandle<string>, TaskHandle<number>]>();
    });

    it("types an array of one type's items as that type's handles", () => {
      const items = [1, 2, 3].map((n) => ({ type: "count" as const, payload: { ids: [n] } }));
      const many = () => errand.enqueueMany(items);
      expectTypeOf(many).returns.resolves.toEqualTypeOf<TaskHandle<number>[]>();
    });

    it("types handle(id, type) by the type given, and handle(id) by every type's result", () => {
      const typed = () => errand.handle("id", "hash");
      const any = () => errand.handle("id");
      expectTypeOf(typed).returns.toEqualTypeOf<TaskHandle<string>>();
      expectTypeOf(any).returns.toEqualTypeOf<TaskHandle<string | number | { receipt: string }>>();
      // @ts-expect-error: no such task type in the map
      const wrong = () => errand.handle("id", "nope");
      expectTypeOf(wrong).toBeFunction();
    });

    it("refuses an item whose payload is not its type's", () => {
      // @ts-expect-error: count takes { ids: number[] }
      const wrong = () => errand.enqueueMany([{ type: "count", payload: { text: "a" } }]);
      expectTypeOf(wrong).toBeFunction();
    });
  });

  describe("when it shows tasks", () => {
    it("answers get and list with local and edge tasks, told apart by where", () => {
      expectTypeOf(errand.get).returns.resolves.toEqualTypeOf<TaskInfo | undefined>();
      expectTypeOf(errand.list).returns.resolves.toEqualTypeOf<TaskInfo[]>();
      expectTypeOf<Extract<TaskInfo, { where: "local" }>>().toEqualTypeOf<LocalTaskInfo>();
      expectTypeOf<Extract<TaskInfo, { where: "edge" }>>().toEqualTypeOf<EdgeTaskInfo>();
      expectTypeOf<TaskInfo["state"]>().toEqualTypeOf<TaskState>();
    });

    it("gives an edge task its deliveries and a local task its lease", () => {
      expectTypeOf<EdgeTaskInfo["deliveries"]>().toEqualTypeOf<readonly DeliveryView[]>();
      expectTypeOf<LocalTaskInfo["lease"]>().toEqualTypeOf<Lease | undefined>();
      expectTypeOf<LocalTaskInfo>().not.toHaveProperty("rank");
      expectTypeOf<EdgeTaskInfo>().not.toHaveProperty("subject");
    });

    it("takes where, and the states of both kinds, in list's filter", () => {
      const edgeSent = () => errand.list({ where: "edge", state: "sent" });
      expectTypeOf(edgeSent).returns.resolves.toEqualTypeOf<TaskInfo[]>();
      // @ts-expect-error: no task is anywhere else
      const nowhere = () => errand.list({ where: "server" });
      expectTypeOf(nowhere).toBeFunction();
    });
  });

  describe("when it is listened to", () => {
    it("hands task events of both kinds one detail, which says where", () => {
      const off = () =>
        errand.on("task.succeeded", (detail) => expectTypeOf(detail).toEqualTypeOf<TaskEventDetail>());
      expectTypeOf(off).returns.toEqualTypeOf<() => void>();
      expectTypeOf<TaskEventDetail["where"]>().toEqualTypeOf<"local" | "edge">();
    });

    it("still hands the deprecated edge.* events their old detail", () => {
      const off = () =>
        errand.on("edge.sent", (detail) => expectTypeOf(detail).toEqualTypeOf<EdgeTaskEventDetail>());
      expectTypeOf(off).returns.toEqualTypeOf<() => void>();
      expectTypeOf<EdgeTaskEventDetail["target"]>().toEqualTypeOf<"edge">();
    });
  });
});
