import { createErrand, createOnlineManager } from "@errand/client";
import { byId } from "./dom.ts";
import { checkEdge } from "./edge-health.ts";
import { edgeLink, edgeUrlOf } from "./edge-link.ts";
import { mountDashboard } from "./panels/dashboard.ts";
import { mountEdgeDashboard } from "./panels/edge-dashboard.ts";
import { mountEdgePanel } from "./panels/edge-panel.ts";
import { mountFlakyPanel } from "./panels/flaky-panel.ts";
import { demoOnlineManager, mountOfflinePanel, switchableFetch } from "./panels/offline-panel.ts";
import { mountResponsiveness } from "./panels/responsiveness.ts";
import { mountWorkPanel } from "./panels/work-panel.ts";
import { describeProblem } from "./problem.ts";
import { TaskBoard } from "./task-board.ts";
import { tasks } from "./tasks.ts";

const edgeUrl = edgeUrlOf(location.search, import.meta.env.VITE_ERRAND_EDGE_URL as string);
const link = edgeLink(edgeUrl);
const notice = byId("notice");
byId("notice-dismiss").addEventListener("click", () => {
  notice.hidden = true;
});

/** Shows what went wrong as a message a person can act on (never a stack trace). */
function report(error: unknown): void {
  byId("notice-text").textContent = describeProblem(error, { edgeUrl });
  notice.hidden = false;
}

mountResponsiveness();
void mountEdgeHealth();
const subscriptions = new Map<string, { topic: string; kind: string }>();
mountEdgeDashboard(edgeUrl, (stats) => {
  subscriptions.clear();
  for (const s of stats.subscriptions) subscriptions.set(s.subscription, { topic: s.topic, kind: s.kind });
});

try {
  const online = demoOnlineManager(createOnlineManager);
  const errand = await createErrand({
    tasks,
    dbName: "errand-demo",
    worker: new URL("./tasks.worker.ts", import.meta.url),
    concurrency: 2,
    policies: {
      flaky: { maxAttempts: 4, backoff: { kind: "exponential", baseMs: 500, maxMs: 4000 } },
    },
    edge: { url: edgeUrl, getToken: () => link.token(), online, fetch: switchableFetch() },
  });
  for (const type of ["storage.versionchange", "storage.closed", "storage.error"] as const)
    errand.on(type, (detail) => report(detail.error ?? detail));
  const board = new TaskBoard(errand);
  mountWorkPanel(board, report);
  mountFlakyPanel(board, report);
  mountDashboard(board, report);
  mountOfflinePanel(board, online);
  mountEdgePanel(board, () => subscriptions, report);
  await board.load();
  document.body.dataset.ready = "true";
} catch (error) {
  report(error);
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
