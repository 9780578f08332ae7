import type { DeliveryView, EdgeTaskInfo, SyncStateDetail } from "@errand/client";
import { byId, h } from "../dom.ts";
import type { TaskBoard } from "../task-board.ts";

/** The kind of each subscription, by id (from the edge dashboard's stats). */
export type SubscriptionKinds = () => ReadonlyMap<string, { topic: string; kind: string }>;

/** How the page names each kind of subscription. */
export const KIND_LABEL: Readonly<Record<string, string>> = {
  queue: "queue consumer",
  webhook: "webhook receiver",
  live: "this page (live)",
};
const KIND_ORDER = ["queue", "webhook", "live"];
const SHOWN = 8;

/** The state of the runtime's status socket, which is also this origin's live subscription. */
type SocketState = "connected" | "connecting" | "offline" | "elsewhere";

const SOCKET_LABEL: Record<SocketState, string> = {
  connected: "connected",
  connecting: "connecting…",
  offline: "closed while offline",
  elsewhere: "held by another tab",
};

/**
 * The edge: publish N tasks to a topic through the outbox, and for each one its fan-out
 * deliveries (queue consumer, webhook receiver, this page as a live subscriber) with their
 * status and the task's result, all from the runtime's own view of its edge tasks: the status
 * socket it keeps to the edge is this page's live subscription too.
 */
export function mountEdgePanel(
  board: TaskBoard,
  kinds: SubscriptionKinds,
  report: (error: unknown) => void,
): void {
  const topic = byId<HTMLSelectElement>("edge-topic");
  const count = byId<HTMLInputElement>("edge-count");
  const list = byId("edge-list");
  const total = byId("edge-total");
  const socket = byId("feed-state");
  let sent = 0;

  byId("edge-publish").addEventListener("click", () => {
    const n = Math.min(20, Math.max(1, Math.round(Number(count.value) || 1)));
    const items = Array.from({ length: n }, () => {
      sent++;
      return {
        type: "demo.echo" as const,
        payload: { text: `hello #${sent} from the demo`, n: sent },
        options: { target: "edge" as const, topic: topic.value },
      };
    });
    board.errand.enqueueMany(items).catch(report);
  });

  let scheduled = false;
  const render = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      showTopics(topic, kinds());
      const state = socketState(board.errand.syncState());
      socket.dataset.state = state;
      socket.textContent = SOCKET_LABEL[state];
      const tasks = board.edgeTasks();
      total.textContent = String(tasks.length);
      list.replaceChildren(...tasks.slice(0, SHOWN).map((task) => row(task, kinds())));
    });
  };
  board.subscribe(render);
  render();
}

function socketState(sync: SyncStateDetail | undefined): SocketState {
  if (sync === undefined || !sync.online) return "offline";
  if (!sync.leading) return "elsewhere";
  return sync.connected ? "connected" : "connecting";
}

/** Keeps the topic picker in step with the topics that have subscriptions. */
function showTopics(select: HTMLSelectElement, kinds: ReturnType<SubscriptionKinds>): void {
  const topics = [...new Set([...kinds.values()].map((s) => s.topic))].sort();
  if (topics.length === 0) topics.push("demo.echo");
  if (topics.join("|") === select.dataset.topics) return;
  const current = select.value;
  select.dataset.topics = topics.join("|");
  select.replaceChildren(...topics.map((name) => h("option", { value: name }, name)));
  select.value = topics.includes(current) ? current : (topics[0] ?? "demo.echo");
}

function row(record: EdgeTaskInfo, kinds: ReturnType<SubscriptionKinds>): HTMLLIElement {
  return h(
    "li",
    { class: "edge-task", "data-id": record.id, "data-state": record.state },
    h(
      "div",
      { class: "edge-head" },
      h("code", { title: record.id }, `…${record.id.slice(-6)}`),
      h("span", { class: "task-type" }, record.topic),
      h("span", { class: `badge badge-${badgeOf(record)}` }, stateLabel(record)),
      h("span", { class: "summary" }, summary(record)),
    ),
    record.state === "pending"
      ? h("p", { class: "edge-wait" }, waiting(record))
      : h("ul", { class: "deliveries" }, ...deliveries(record, kinds)),
  );
}

function deliveries(record: EdgeTaskInfo, kinds: ReturnType<SubscriptionKinds>): HTMLLIElement[] {
  if (record.edgeStatus === undefined)
    return [h("li", { class: "delivery" }, "waiting for the edge's first status…")];
  const rank = (d: DeliveryView) => KIND_ORDER.indexOf(kinds.get(d.subscription)?.kind ?? "");
  return [...record.deliveries]
    .sort((a, b) => rank(a) - rank(b))
    .map((delivery) => {
      const kind = kinds.get(delivery.subscription)?.kind ?? "";
      const notes = [
        delivery.attempts > 1 ? `${delivery.attempts} attempts` : "",
        delivery.lastError?.message ?? "",
      ].filter((note) => note !== "");
      return h(
        "li",
        { class: "delivery", "data-kind": kind || "unknown", "data-status": delivery.status },
        h("span", { class: "delivery-kind" }, KIND_LABEL[kind] ?? delivery.subscription),
        h("span", { class: `badge badge-${delivery.status}` }, delivery.status),
        h("span", { class: "summary" }, notes.join(", ")),
      );
    });
}

function badgeOf(record: EdgeTaskInfo): string {
  return record.state === "pending" ? "outbox" : record.state;
}

function stateLabel(record: EdgeTaskInfo): string {
  if (record.state === "pending") return "in outbox";
  if (record.state === "sent") return record.edgeStatus ?? "sent";
  return record.state;
}

function waiting(record: EdgeTaskInfo): string {
  if (record.attempts === 0) return "Waiting in the outbox until the edge is reachable.";
  const wait = Math.max(0, record.runAt - Date.now());
  return `Push failed ${record.attempts}× (${record.error?.message ?? "unreachable"}); next try in ${(wait / 1000).toFixed(0)} s.`;
}

function summary(record: EdgeTaskInfo): string {
  if (record.state === "succeeded" && record.result !== undefined)
    return `result ${JSON.stringify(record.result)}`;
  if (record.state === "dead") return record.error?.message ?? "dead";
  return "";
}
