import type { OnlineManager } from "@errand/client";
import { byId } from "../dom.ts";
import type { TaskBoard } from "../task-board.ts";

const SWITCH_KEY = "errand-demo-offline";

/** Whether the offline switch is on (it is remembered across reloads). */
export function switchedOffline(): boolean {
  return localStorage.getItem(SWITCH_KEY) === "1";
}

/**
 * The page's online manager: the browser's view, overridden by the offline switch, so tasks
 * queued offline are still waiting after a reload. Made before the runtime, so a reload while
 * switched off never pushes.
 */
export function demoOnlineManager(create: () => OnlineManager): OnlineManager {
  const online = create();
  if (switchedOffline()) online.setOnline(false);
  return online;
}

/**
 * The sync's `fetch` while the switch is on fails as a cut network does. The online manager
 * alone is not enough: the push loop probes the edge on a timer even when told it is offline
 * (that is how it notices an edge that came back), and a probe would push the outbox.
 */
export function switchableFetch(request: typeof fetch = fetch): typeof fetch {
  return (input, init) =>
    switchedOffline()
      ? Promise.reject(new TypeError("Failed to fetch (the demo's offline switch is on)"))
      : request(input, init);
}

/**
 * Offline first: the offline switch (which drives the sync's online manager), the browser's own
 * online state, the sync state and the outbox count (edge tasks the edge has not accepted yet),
 * all live.
 */
export function mountOfflinePanel(board: TaskBoard, online: OnlineManager): void {
  const toggle = byId<HTMLInputElement>("offline-switch");
  const browser = byId("browser-online");
  const sync = byId("sync-state");
  const outbox = byId("outbox-count");

  toggle.checked = switchedOffline();
  toggle.addEventListener("change", () => {
    localStorage.setItem(SWITCH_KEY, toggle.checked ? "1" : "0");
    if (toggle.checked) {
      online.setOnline(false);
      return;
    }
    // Probes made while switched off failed like a cut network; forget that, then go back to
    // the browser's view rather than forcing online, so a real outage still counts.
    online.reportReachable();
    online.setOnline(undefined);
  });

  const showBrowser = () => {
    browser.dataset.state = navigator.onLine ? "online" : "offline";
    browser.textContent = navigator.onLine ? "online" : "offline";
  };
  window.addEventListener("online", showBrowser);
  window.addEventListener("offline", showBrowser);
  showBrowser();

  const show = () => {
    const count = board.outbox().length;
    outbox.textContent = String(count);
    outbox.dataset.count = String(count);
    const state = board.errand.syncState();
    const line = !state
      ? "no edge"
      : state.paused
        ? `paused (${state.paused})`
        : !state.online
          ? "offline: tasks wait in the outbox"
          : state.leading
            ? `pushing${state.connected ? ", status socket open" : ""}`
            : "online (another tab pushes)";
    sync.dataset.state = !state ? "none" : state.online ? "online" : "offline";
    sync.textContent = line;
  };
  board.subscribe(show);
  online.subscribe(show);
  show();
}
