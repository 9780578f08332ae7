import type { OnlineManager } from "@errand/client";
import { byId } from "../dom.ts";
import type { EdgeBoard } from "../edge-board.ts";

const SWITCH_KEY = "errand-demo-offline";

/**
 * The page's online manager: the browser's view, overridden by the offline switch, which is
 * remembered across reloads (so tasks queued offline are still waiting after a reload). Made
 * before the runtime, so a reload while switched off never pushes.
 */
export function demoOnlineManager(create: () => OnlineManager): OnlineManager {
  const online = create();
  if (localStorage.getItem(SWITCH_KEY) === "1") online.setOnline(false);
  return online;
}

/**
 * Offline first: the offline switch (which drives the sync's online manager), the browser's own
 * online state, the sync state and the outbox count (edge tasks the edge has not accepted yet),
 * all live.
 */
export function mountOfflinePanel(board: EdgeBoard, online: OnlineManager): void {
  const toggle = byId<HTMLInputElement>("offline-switch");
  const browser = byId("browser-online");
  const sync = byId("sync-state");
  const outbox = byId("outbox-count");

  toggle.checked = localStorage.getItem(SWITCH_KEY) === "1";
  toggle.addEventListener("change", () => {
    localStorage.setItem(SWITCH_KEY, toggle.checked ? "1" : "0");
    // Back to the browser's view rather than forced online: a real outage still counts.
    online.setOnline(toggle.checked ? false : undefined);
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
