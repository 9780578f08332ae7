import type { QueueState } from "@errand/client";
import { byId, statTiles } from "../dom.ts";
import type { TaskBoard } from "../task-board.ts";

const STATES: readonly QueueState[] = ["pending", "running", "succeeded", "dead", "cancelled"];

/** Counts per state, throughput, in flight, retries and storage, refreshed every second. */
export function mountDashboard(board: TaskBoard, report: (error: unknown) => void): void {
  const grid = byId("client-stats");
  const refresh = async () => {
    try {
      const stats = await board.errand.stats();
      const cells: [string, string][] = [
        ...STATES.map((state): [string, string] => [state, String(stats.counts[state] ?? 0)]),
        ["in flight", String(stats.counts.running ?? 0)],
        ["throughput", `${board.throughput().toFixed(1)}/s`],
        ["retries", String(board.retries)],
        [
          "oldest pending",
          stats.oldestPendingAgeMs === null ? "—" : `${(stats.oldestPendingAgeMs / 1000).toFixed(1)} s`,
        ],
        ["storage", storageLine(stats.storage)],
      ];
      grid.replaceChildren(...statTiles(cells));
    } catch (error) {
      report(error);
    }
  };
  void refresh();
  setInterval(refresh, 1000);
}

function storageLine(storage: {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}): string {
  if (storage.usage === null || storage.quota === null) return "unknown";
  const size = (n: number) =>
    n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(0)} GB` : `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${size(storage.usage)} / ${size(storage.quota)}${storage.persisted ? ", persistent" : ""}`;
}
