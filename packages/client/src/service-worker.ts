/**
 * `@errand/client/service-worker`: drains the outbox from a service worker, so edge tasks
 * leave with no page open. The page's runtime registers a Background Sync (tag
 * {@link SYNC_TAG}) when it has work; the browser fires it when the network returns, even after
 * the last tab closed, and this module pushes under a token fetched from `tokenUrl` (same
 * origin: the worker has the site's cookies, never an API key). A drain that could not finish
 * rejects, so the browser schedules the sync again. Where Background Sync is missing, the
 * runtime drains on its next start and on `online` instead.
 *
 * The drain takes the origin's sync lock, waiting up to a minute for a tab that holds it; a tab
 * that keeps it longer leads and pushes by itself, and the drain rejects, so the browser fires
 * the sync again later in case that tab closes with work left.
 *
 * @example
 * ```ts
 * // sw.ts
 * import { installBackgroundSync } from "@errand/client/service-worker";
 * installBackgroundSync({ url: "https://api.example.com", tokenUrl: "/errand-token" });
 * ```
 *
 * @module @errand/client/service-worker
 */

import { DEFAULT_RETRY_POLICY } from "@errand/core";
import { createOnlineManager, type OnlineSource } from "./browser/online-manager.ts";
import { openTabBus } from "./browser/tab-bus.ts";
import { edgeDetailOf, edgeEventsFor } from "./lifecycle/edge-events.ts";
import { type DrainResult, OutboxPusher } from "./outbox/outbox-pusher.ts";
import { RequestQueue } from "./requests/request-queue.ts";
import { SYNC_TAG } from "./runtime/edge-options.ts";
import { openQueueDb } from "./stores/db.ts";
import { OutboxStore } from "./stores/outbox-store.ts";
import { createTokenSource } from "./transport/token-source.ts";

export { SYNC_TAG };

/** The online source of a drain started by a sync event: online, with nothing to listen to. */
const ALWAYS_TRY: OnlineSource = { onLine: () => true, listen: () => () => {} };

/** Options of {@link installBackgroundSync} and {@link drainOutboxOnce}. */
export interface BackgroundSyncOptions {
  /** The edge API's base URL. */
  readonly url: string;
  /** The token endpoint (same origin), `POST`ed with the worker's cookies. */
  readonly tokenUrl: string | URL;
  /** The runtime's database name; `"errand"` by default. */
  readonly dbName?: string;
}

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}

/**
 * How long a drain waits for a tab's sync lock before it leaves the pushing to that tab, well
 * inside the time a browser gives a sync event (Chromium: 3 minutes).
 */
const LEADER_WAIT_MS = 60_000;

/** Answers the runtime's Background Sync in this service worker. */
export function installBackgroundSync(options: BackgroundSyncOptions): void {
  const scope = globalThis as unknown as ServiceWorkerGlobalScope;
  scope.addEventListener("sync", (event) => {
    const sync = event as SyncEvent;
    if (sync.tag !== SYNC_TAG) return;
    sync.waitUntil(
      drainOutboxOnce(options).then((result) => {
        // Rejecting asks the browser to fire the sync again later: a skipped drain too, because
        // the tab that led may close with work left; if it pushed everything, the next one is idle.
        // No test shows the refire after a skip: Chromium waits minutes before firing a failed
        // sync again, beyond what the e2e suite can wait for.
        if (result.kind !== "idle") throw new Error(`Outbox not drained: ${result.kind}`);
      }),
    );
  });
}

/**
 * Drains the outbox and the queued requests once, outside any page; `skipped` when a tab kept
 * the sync lock for a minute (it leads, and is pushing).
 */
export async function drainOutboxOnce(
  options: BackgroundSyncOptions,
): Promise<DrainResult | { readonly kind: "skipped" }> {
  const dbName = options.dbName ?? "errand";
  const db = await openQueueDb(dbName, { onVersionChange: () => db.close(), onTerminated: () => {} });
  // Open tabs hear it on their tab bus as if a leader tab had pushed.
  const bus = openTabBus(dbName);
  try {
    const store = new OutboxStore(db);
    const tokens = createTokenSource({ tokenUrl: options.tokenUrl });
    const edge = {
      url: new URL(options.url).origin,
      fetch: globalThis.fetch.bind(globalThis),
      now: Date.now,
    };
    const backoff = DEFAULT_RETRY_POLICY.backoff;
    const pusher = new OutboxPusher({
      store,
      edge,
      tokens,
      // A sync event fires once the browser is back online, and `navigator.onLine` inside a
      // service worker can lag behind it: this drain tries the edge, and a failed request ends it.
      online: createOnlineManager(ALWAYS_TRY),
      backoff,
      concurrency: 4,
      changed: (changes) => {
        for (const { before, after } of changes)
          for (const type of edgeEventsFor(before, after))
            bus.send({ kind: "event", type, detail: edgeDetailOf(after) });
      },
    });
    const requests = new RequestQueue(store, {
      fetch: edge.fetch,
      backoff,
      changed: (id) => bus.send({ kind: "request", id }),
    });
    const run = async (): Promise<DrainResult> => {
      const result = await pusher.drain(true);
      const token = await tokens.get().catch(() => undefined);
      if (token === undefined || result.kind === "paused") return result;
      const next = await requests.replay(token.subject);
      return next === undefined ? result : { kind: "waiting", until: next };
    };
    const locks = globalThis.navigator?.locks;
    if (locks === undefined) return await run();
    // A leading tab holds the sync lock while it is open and pushes by itself. But the sync
    // fires as soon as a tab registers it while the network is up, usually while that tab still
    // leads and is about to close: wait for the lock, and skip only when a tab keeps it.
    const signal = AbortSignal.timeout(LEADER_WAIT_MS);
    let granted = false;
    try {
      return await locks.request(`errand:${dbName}:sync`, { signal }, () => {
        granted = true;
        return run();
      });
    } catch (error) {
      if (!granted && signal.aborted) return { kind: "skipped" };
      throw error;
    }
  } finally {
    bus.close();
    db.close();
  }
}
