/** The `edge` option of `createErrand`: where the edge is, how to get tokens, how to push. */

import {
  type Backoff,
  DEFAULT_RETRY_POLICY,
  MAX_TIMER_MS,
  timerMsProblem,
  ValidationError,
  type ValidationIssue,
} from "@errand/core";
import type { OnlineManager } from "../browser/online-manager.ts";
import type { TokenGrant } from "../transport/token-source.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../utils/deadline.ts";

/**
 * How the runtime reaches the edge. Give `tokenUrl` (same origin: it is `POST`ed with the
 * page's cookies, and a service worker can use it with no page open) or `getToken`; never an
 * API key, which every visitor of the page could read.
 *
 * @example
 * ```ts
 * createErrand({ tasks, edge: { url: "https://api.example.com", tokenUrl: "/errand-token" } });
 * ```
 */
export interface EdgeOptions {
  /** The API's base URL. */
  readonly url: string;
  /** Same-origin endpoint answering `{ token, expiresAt, subject? }`. */
  readonly tokenUrl?: string | URL;
  /** Returns a fresh token (`{ token, expiresAt, subject? }`). */
  readonly getToken?: () => Promise<TokenGrant>;
  /** Push requests in flight at once; 4 by default. */
  readonly concurrency?: number;
  /** Backoff of a push that failed for a transient reason; core's default policy's by default. */
  readonly backoff?: Backoff;
  /**
   * Status polling period while the socket is down, ms; 3 s by default. While it is open, the
   * sync still polls every ten periods (at most `MAX_TIMER_MS`) for tasks whose status event may
   * have been lost.
   */
  readonly pollMs?: number;
  /**
   * Milliseconds one request may take, answer body included: a push, a status poll, a token
   * call, a queued request's replay. One that runs out counts as a network failure and is
   * retried. 30 s by default.
   */
  readonly requestTimeoutMs?: number;
  /** Register a Background Sync (`tag`) so a service worker drains with no page open; true by default. */
  readonly backgroundSync?: boolean;
  /** The online manager; the browser's by default (tests inject their own). */
  readonly online?: OnlineManager;
  readonly fetch?: typeof fetch;
}

/** Options with defaults applied. */
export interface ResolvedEdgeOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly backoff: Backoff;
  readonly pollMs: number;
  /** Status polling period while the socket is open: ten `pollMs`, no longer than a timer waits. */
  readonly checkMs: number;
  readonly requestTimeoutMs: number;
  readonly backgroundSync: boolean;
}

/** The Background Sync tag the runtime registers and the service worker answers. */
export const SYNC_TAG = "errand-outbox";

/**
 * `options` with defaults, checked.
 *
 * @throws {ValidationError} for a missing or non-http(s) `url`, neither or both of `tokenUrl`
 *   and `getToken`, a non-positive `concurrency`, or a `pollMs` or `requestTimeoutMs` that is
 *   not a timer delay (core's `timerMsProblem`).
 */
export function resolveEdgeOptions(options: EdgeOptions): ResolvedEdgeOptions {
  const issues: ValidationIssue[] = [];
  let url = "";
  try {
    const parsed = new URL(String(options?.url));
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http");
    url = parsed.origin;
  } catch {
    issues.push({ path: "edge.url", message: "must be an http(s) URL" });
  }
  if ((options?.tokenUrl === undefined) === (options?.getToken === undefined))
    issues.push({ path: "edge", message: "needs exactly one of tokenUrl and getToken" });
  const positive = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value > 0))
      issues.push({ path: `edge.${name}`, message: "must be > 0" });
    return value;
  };
  const duration = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const problem = timerMsProblem(value);
    if (problem !== undefined) issues.push({ path: `edge.${name}`, message: problem });
    return value;
  };
  const pollMs = duration("pollMs", options?.pollMs, 3_000);
  const resolved = {
    url,
    concurrency: Math.ceil(positive("concurrency", options?.concurrency, 4)),
    backoff: options?.backoff ?? DEFAULT_RETRY_POLICY.backoff,
    pollMs,
    // A valid pollMs over a tenth of the limit would give setTimeout a delay it treats as 1 ms:
    // a poll loop with no pause while the socket is open.
    checkMs: Math.min(pollMs * 10, MAX_TIMER_MS),
    requestTimeoutMs: duration("requestTimeoutMs", options?.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS),
    backgroundSync: options?.backgroundSync ?? true,
  };
  if (issues.length > 0) {
    throw new ValidationError(
      `Invalid edge options: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  return resolved;
}
