import { createErrand } from "@errand/client";
import { byId } from "./dom.ts";
import { checkEdge } from "./edge-health.ts";
import { mountDashboard } from "./panels/dashboard.ts";
import { mountFlakyPanel } from "./panels/flaky-panel.ts";
import { mountResponsiveness } from "./panels/responsiveness.ts";
import { mountWorkPanel } from "./panels/work-panel.ts";
import { TaskBoard } from "./task-board.ts";
import { tasks } from "./tasks.ts";

const edgeUrl = import.meta.env.VITE_ERRAND_EDGE_URL as string;
const notice = byId("notice");

/** Shows a message a person can act on (never a stack trace). */
function report(message: string): void {
  notice.textContent = message;
  notice.hidden = false;
}

mountResponsiveness();
void mountEdgeHealth();

try {
  const errand = await createErrand({
    tasks,
    dbName: "errand-demo",
    worker: new URL("./tasks.worker.ts", import.meta.url),
    concurrency: 2,
    policies: {
      flaky: { maxAttempts: 4, backoff: { kind: "exponential", baseMs: 500, maxMs: 4000 } },
    },
  });
  errand.on("storage.versionchange", (detail) => report(detail.message));
  errand.on("storage.closed", (detail) => report(detail.message));
  errand.on("storage.error", (detail) => report(detail.message));
  const board = new TaskBoard(errand);
  mountWorkPanel(board, report);
  mountFlakyPanel(board, report);
  mountDashboard(board, report);
  await board.load();
  document.body.dataset.ready = "true";
} catch (error) {
  report(
    `The task queue could not start: ${error instanceof Error ? error.message : String(error)}. ` +
      "IndexedDB may be disabled (private browsing) or out of space.",
  );
}

async function mountEdgeHealth(): Promise<void> {
  const status = byId("edge-status");
  const detail = byId("edge-detail");
  const refresh = async () => {
    status.dataset.state = "checking";
    status.textContent = "checking…";
    const health = await checkEdge(edgeUrl);
    status.dataset.state = health.up ? "up" : "down";
    status.textContent = health.up ? "up" : "down";
    detail.textContent = health.message;
  };
  byId("edge-recheck").addEventListener("click", () => void refresh());
  // While the edge is down, look again every few seconds so the page recovers by itself.
  setInterval(() => {
    if (status.dataset.state === "down") void refresh();
  }, 5_000);
  await refresh();
}
