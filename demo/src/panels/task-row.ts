import type { TaskInfo } from "@errand/client";
import { h } from "../dom.ts";

/** One task as a row: what it is, its state, attempts, progress, and what a person can do. */
export function taskRow(
  task: TaskInfo,
  summary: string,
  actions: { label: string; run: () => void }[],
): HTMLLIElement {
  const progress = Math.round((task.progress ?? (task.state === "succeeded" ? 1 : 0)) * 100);
  return h(
    "li",
    { class: "task", "data-id": task.id, "data-type": task.type, "data-state": task.state },
    h("span", { class: "task-type" }, task.type),
    h("span", { class: `badge badge-${task.state}` }, task.state),
    h("span", { class: "attempts", title: "attempts" }, `×${task.attempts}`),
    h("progress", { max: 100, value: progress, "aria-label": `${task.type} progress` }, `${progress}%`),
    h("span", { class: "percent" }, `${progress}%`),
    h("span", { class: "summary" }, summary),
    ...actions.map((action) => h("button", { type: "button", onclick: () => action.run() }, action.label)),
  );
}

/** A person-readable line for a task's outcome or error. */
export function describeError(task: TaskInfo): string {
  if (!task.error) return "";
  return `${task.error.code}: ${task.error.message}`;
}
