import type { LocalTaskInfo } from "@errand/client";
import { byId } from "../dom.ts";
import type { TaskBoard } from "../task-board.ts";
import { publishSetting } from "../work/live-setting.ts";
import { describeError, renderTasks } from "./task-row.ts";

/**
 * Retries and dead letters: a failure-rate slider (read live by the workers), a button that
 * enqueues flaky tasks, their list (attempts, next retry), and the dead-letter set with replay
 * and purge.
 */
export function mountFlakyPanel(board: TaskBoard, report: (error: unknown) => void): void {
  const { errand } = board;
  const guard = (work: Promise<unknown>) => work.catch(report);
  const slider = byId<HTMLInputElement>("failure-rate");
  const rateLabel = byId("failure-rate-value");
  const rate = publishSetting("errand-demo-failure-rate", () => Number(slider.value) / 100);
  const showRate = () => {
    rateLabel.textContent = `${slider.value}%`;
    rate.announce();
  };
  slider.addEventListener("input", showRate);
  showRate();

  byId("run-flaky").addEventListener("click", () => {
    const failureRate = Number(slider.value) / 100;
    const items = Array.from({ length: 5 }, () => ({ type: "flaky" as const, payload: { failureRate } }));
    void guard(errand.enqueueMany(items));
  });
  byId("purge-dead").addEventListener("click", () =>
    guard(
      errand.purge({ state: "dead" }).then(() =>
        board.forget(
          board
            .tasks()
            .filter(isDead)
            .map((t) => t.id),
        ),
      ),
    ),
  );

  const list = byId("flaky-list");
  const dead = byId("dead-list");
  const deadCount = byId("dead-count");
  board.subscribe(() => {
    const flaky = board
      .tasks(["flaky"])
      .filter((task) => task.state !== "dead")
      .slice(0, 10);
    renderTasks(list, flaky, (task) => ({ summary: retryNote(task), actions: [] }));
    const letters = board.tasks().filter(isDead);
    deadCount.textContent = String(letters.length);
    renderTasks(dead, letters, (task) => ({
      summary: describeError(task),
      actions: [{ label: "Replay", run: () => void guard(errand.replay(task.id)) }],
    }));
  });
}

function isDead(task: LocalTaskInfo): boolean {
  return task.state === "dead";
}

function retryNote(task: LocalTaskInfo): string {
  if (task.state === "pending" && task.attempts > 0) {
    const wait = Math.max(0, task.runAt - Date.now());
    return `retry in ${(wait / 1000).toFixed(1)} s — ${describeError(task)}`;
  }
  return task.state === "succeeded" ? "ok" : "";
}
