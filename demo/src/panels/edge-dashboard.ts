import { byId, h, statTiles } from "../dom.ts";
import { type EdgeStats, readEdgeStats } from "../edge-link.ts";
import { KIND_LABEL } from "./edge-panel.ts";

const POLL_MS = 1500;
const WINDOW_MS = 10_000;

/**
 * The edge's dashboard, beside the browser's: counts per task status, deliveries in flight,
 * retries, dead, and throughput (deliveries finished per second over the last ten seconds),
 * from the dev tenant's `/v1/stats` through the dev-only `GET /v1/dev/stats` (the page holds no
 * key), polled every 1.5 s.
 */
export function mountEdgeDashboard(edgeUrl: string, onStats: (stats: EdgeStats) => void): void {
  const grid = byId("edge-stats");
  const note = byId("edge-stats-note");
  const subsList = byId("edge-subs");
  const samples: { at: number; finished: number }[] = [];
  let failures = 0;
  let reading = false;
  const refresh = async () => {
    if (reading) return;
    reading = true;
    let stats: EdgeStats;
    try {
      stats = await readEdgeStats(edgeUrl);
    } catch {
      // One slow answer on a busy machine is not an outage: say so after two in a row.
      if (++failures >= 2) {
        note.textContent = "The edge is not answering: these are the last figures it gave.";
        grid.dataset.stale = "true";
      }
      return;
    } finally {
      reading = false;
    }
    failures = 0;
    grid.dataset.stale = "false";
    note.textContent = `dev tenant, ${stats.subscriptions.length} subscriptions, updated ${new Date(stats.at).toLocaleTimeString()}`;
    onStats(stats);
    const sum = (pick: (t: EdgeStats["topics"][number]) => number) =>
      stats.topics.reduce((n, t) => n + Number(pick(t)), 0);
    const subs = (pick: (s: EdgeStats["subscriptions"][number]) => number) =>
      stats.subscriptions.reduce((n, s) => n + Number(pick(s)), 0);
    const finished = subs((s) => s.delivered + s.dead + s.cancelled);
    samples.push({ at: stats.at, finished });
    while ((samples[0]?.at ?? stats.at) < stats.at - WINDOW_MS) samples.shift();
    const first = samples[0] ?? { at: stats.at, finished };
    const seconds = (stats.at - first.at) / 1000;
    const throughput = seconds > 0 ? (finished - first.finished) / seconds : 0;
    const cells: [string, string][] = [
      ["queued", String(sum((t) => t.accepted + t.queued))],
      ["delivered", String(sum((t) => t.delivered))],
      ["succeeded", String(sum((t) => t.succeeded))],
      ["dead", String(sum((t) => t.dead))],
      ["cancelled", String(sum((t) => t.cancelled))],
      ["in flight", String(subs((s) => s.inFlight))],
      ["retries", String(stats.retries)],
      ["throughput", `${throughput.toFixed(1)}/s`],
    ];
    subsList.replaceChildren(
      ...stats.subscriptions.map((s) =>
        h(
          "li",
          { "data-kind": s.kind },
          `${s.topic} → ${KIND_LABEL[s.kind] ?? s.kind}: ${s.delivered} delivered, ${s.pending} pending, ${s.dead} dead`,
        ),
      ),
    );
    grid.replaceChildren(...statTiles(cells));
  };
  void refresh();
  setInterval(refresh, POLL_MS);
}
