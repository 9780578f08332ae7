import type { LocalTaskInfo } from "@errand/client";
import { h } from "../dom.ts";

/** What a row shows beyond the task itself. */
export interface RowView {
  readonly summary: string;
  readonly actions: readonly { label: string; run: () => void }[];
}

/**
 * Renders `tasks` into `list` as one row each, keyed by id: existing rows are updated in
 * place (so a button under the pointer stays put while progress ticks), new ones created,
 * gone ones removed.
 */
export function renderTasks(
  list: HTMLElement,
  tasks: readonly LocalTaskInfo[],
  view: (task: LocalTaskInfo) => RowView,
): void {
  const existing = new Map<string, HTMLLIElement>();
  for (const child of list.children)
    existing.set((child as HTMLElement).dataset.id ?? "", child as HTMLLIElement);
  const rows = tasks.map((task) => {
    const row = existing.get(task.id) ?? createRow(task);
    existing.delete(task.id);
    updateRow(row, task, view(task));
    return row;
  });
  for (const stale of existing.values()) stale.remove();
  rows.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
  });
}

function createRow(task: LocalTaskInfo): HTMLLIElement {
  return h(
    "li",
    { class: "task", "data-id": task.id, "data-type": task.type },
    h("span", { class: "task-type" }, task.type),
    h("span", { class: "badge" }),
    h("span", { class: "attempts", title: "attempts" }),
    h("progress", { max: 100, "aria-label": `${task.type} progress` }),
    h("span", { class: "percent" }),
    h("span", { class: "summary" }),
    h("span", { class: "actions" }),
  );
}

function updateRow(row: HTMLLIElement, task: LocalTaskInfo, view: RowView): void {
  const progress = Math.round((task.progress ?? (task.state === "succeeded" ? 1 : 0)) * 100);
  row.dataset.state = task.state;
  setText(row, ".badge", task.state).className = `badge badge-${task.state}`;
  setText(row, ".attempts", `×${task.attempts}`);
  (row.querySelector("progress") as HTMLProgressElement).value = progress;
  setText(row, ".percent", `${progress}%`);
  setText(row, ".summary", view.summary);
  const actions = row.querySelector(".actions") as HTMLElement;
  const labels = view.actions.map((action) => action.label).join("|");
  if (actions.dataset.labels !== labels) {
    actions.dataset.labels = labels;
    actions.replaceChildren(
      ...view.actions.map((action) =>
        h("button", { type: "button", onclick: () => action.run() }, action.label),
      ),
    );
  }
}

function setText(row: HTMLElement, selector: string, text: string): HTMLElement {
  const element = row.querySelector(selector) as HTMLElement;
  if (element.textContent !== text) element.textContent = text;
  return element;
}

/** A person-readable line for a task's error. */
export function describeError(task: LocalTaskInfo): string {
  if (!task.error) return "";
  return `${task.error.code}: ${task.error.message}`;
}
