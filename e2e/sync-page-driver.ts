import type { BrowserContext, Page } from "playwright";
import { inject } from "vitest";
import type { DrivenPage, EnginePages } from "./pages.ts";
import type { SyncEdge } from "./sync-harness.ts";

/** What the sync fixture page exposes on `window.syncPage` (e2e/fixtures/sync-page.ts). */
export interface SyncPageApi {
  enqueue(count: number, orderingKey?: string): Promise<string[]>;
  /** Tasks whose delivery the edge holds back `delayMs` (the contract's `delaySeconds`). */
  enqueueDelayed(count: number, delayMs: number): Promise<string[]>;
  cancel(id: string): Promise<boolean>;
  states(): Promise<Record<"pending" | "sent" | "succeeded" | "dead" | "cancelled", number>>;
  task(id: string): Promise<{ state: string; error: string | null; result: unknown } | null>;
  result(id: string): Promise<{ ok: boolean; value?: unknown; code?: string }>;
  heard(): Record<string, number>;
  accepted(): number;
  syncState(): { online: boolean; leading: boolean; connected: boolean; paused?: string } | undefined;
  resumeSync(): void;
  /** Tokens fetched so far, and the close code of every status socket that closed. */
  credentials(): { tokenFetches: number; socketCloses: number[] };
  signOut(): Promise<number>;
  queueRequest(url: string, method: string, body?: string): Promise<string>;
  requestResponse(id: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** Opens the sync fixture page for `subject` on database `db` and waits until it runs. */
export async function openSyncPage(
  context: BrowserContext,
  edge: SyncEdge,
  options: { subject: string; db: string; extra?: Record<string, string> },
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(syncPageUrl(edge, options));
  await page.waitForFunction(isSyncPageReady);
  return page;
}

/** {@link openSyncPage} in any engine (pages.ts). */
export function openSyncDrivenPage(
  pages: EnginePages,
  edge: SyncEdge,
  options: { subject: string; db: string; extra?: Record<string, string> },
): Promise<DrivenPage> {
  return pages.open(syncPageUrl(edge, options), isSyncPageReady);
}

const isSyncPageReady = () => document.body.dataset.ready === "1";

function syncPageUrl(
  edge: SyncEdge,
  options: { subject: string; db: string; extra?: Record<string, string> },
) {
  const query = new URLSearchParams({
    edge: edge.url,
    token: edge.tokenUrl,
    subject: options.subject,
    db: options.db,
    ...options.extra,
  });
  return `${inject("fixturesUrl")}/sync.html?${query}`;
}

/** Calls `window.syncPage[method](...args)` in the page. */
export function call<K extends keyof SyncPageApi>(
  page: Page | DrivenPage,
  method: K,
  ...args: Parameters<SyncPageApi[K]>
): Promise<Awaited<ReturnType<SyncPageApi[K]>>> {
  // Both kinds of page take a function and one JSON argument.
  return (page as DrivenPage).evaluate(
    ([name, params]) => {
      const api = (globalThis as unknown as { syncPage: Record<string, (...a: unknown[]) => unknown> })
        .syncPage;
      return api[name as string]?.(...(params as unknown[]));
    },
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<SyncPageApi[K]>>>;
}
