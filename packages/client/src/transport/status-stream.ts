/**
 * Status back from the edge, while this context leads: one WebSocket to `/v1/events` opened
 * with a one-use ticket, reconnecting with backoff; a `4401` close (the token expired) refreshes
 * the token before reconnecting instead of looping on a dead credential. It polls
 * `GET /v1/tasks?ids=…` for the tasks that are sent and not final: every `pollMs` while the
 * socket is down, once each time it opens (to catch what was missed), and every `checkMs` while
 * it is open, because the edge publishes status events best-effort (a lost event must not leave a
 * task waiting until the next reconnect). A sent task the edge leaves out of a poll long after
 * its last news was removed by the edge's retention: it ends `dead` with `edge_forgot` instead of
 * being polled for ever (outbox-transition.ts).
 */

import { type Backoff, backoffDelay } from "@errand/core";
import { MAX_IDS_PER_QUERY, type TaskView } from "@errand/core/wire";
import { type EdgeEndpoint, eventsUrl, eventTicket, readTasks } from "./edge-http.ts";
import { readStatusEvent } from "./status-event.ts";
import type { TokenSource } from "./token-source.ts";

/** What the stream works with. */
export interface StatusStreamParts {
  readonly edge: EdgeEndpoint;
  readonly tokens: TokenSource;
  /** Ids of the subject's tasks still waiting for a final status. */
  readonly unfinished: (subject: string) => Promise<string[]>;
  /**
   * Statuses heard (from the socket or a poll), and the ids a poll asked for that the edge left
   * out (it holds no such task of the subject now).
   */
  readonly heard: (views: readonly TaskView[], absent?: readonly string[]) => Promise<void>;
  /** Socket state changes, for `sync.state`. */
  readonly connected: (open: boolean) => void;
  /** Poll period while the socket is down, ms. */
  readonly pollMs: number;
  /** Poll period while the socket is open, ms (a safety net for lost events). */
  readonly checkMs: number;
  readonly WebSocket?: typeof WebSocket;
}

/** The close code for an expired credential (contract v1). */
export const CLOSE_EXPIRED = 4401;

const RECONNECT: Backoff = { kind: "exponential", baseMs: 500, maxMs: 30_000, jitter: "full" };

/**
 * Opens the socket and keeps it open until `stop()`.
 *
 * @example
 * ```ts
 * const stop = startStatusStream({ edge, tokens, unfinished, heard, connected, pollMs: 3_000, checkMs: 30_000 });
 * ```
 */
export function startStatusStream(parts: StatusStreamParts): () => void {
  const Socket = parts.WebSocket ?? globalThis.WebSocket;
  let stopped = false;
  let socket: WebSocket | undefined;
  let open = false;
  let failures = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  // Set when even a fresh token was refused: reconnects keep trying the current token (with
  // backoff) but fetch no more; the outbox pauses on the same refusal, and the token a resume or
  // sign-in brings ends this when its ticket is granted.
  let refused = false;

  const poll = async () => {
    if (polling || stopped) return;
    polling = true;
    try {
      const token = await parts.tokens.get();
      const ids = await parts.unfinished(token.subject);
      for (let i = 0; i < ids.length && !stopped; i += MAX_IDS_PER_QUERY) {
        const asked = ids.slice(i, i + MAX_IDS_PER_QUERY);
        const answer = await readTasks(parts.edge, token.token, asked);
        if ("failed" in answer) break;
        const answered = new Set(answer.tasks.map((task) => task.id));
        await parts.heard(
          answer.tasks,
          asked.filter((id) => !answered.has(id)),
        );
      }
    } catch {
      // No token or no storage right now: the next poll tries again.
    } finally {
      polling = false;
    }
  };

  const schedulePoll = () => {
    clearTimeout(pollTimer);
    if (stopped) return;
    pollTimer = setTimeout(
      async () => {
        await poll();
        schedulePoll();
      },
      open ? parts.checkMs : parts.pollMs,
    );
  };

  const reconnect = (refresh: boolean) => {
    if (stopped) return;
    const delay = refresh ? 0 : backoffDelay(RECONNECT, Math.max(1, failures), reconnectError);
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(() => void connect(refresh), delay);
  };

  const connect = async (refresh: boolean) => {
    if (stopped || Socket === undefined) return;
    failures += 1;
    try {
      const token = refresh ? await parts.tokens.refresh() : await parts.tokens.get();
      const answer = await eventTicket(parts.edge, token.token);
      if ("failed" in answer) {
        const unauthorized = answer.failed.kind === "status" && answer.failed.status === 401;
        if (unauthorized && refresh) refused = true;
        reconnect(unauthorized && !refresh && !refused);
        return;
      }
      refused = false;
      if (stopped) return;
      const ws = new Socket(eventsUrl(parts.edge.url, answer.ticket));
      socket = ws;
      ws.addEventListener("open", () => {
        failures = 0;
        open = true;
        parts.connected(true);
        void poll();
        schedulePoll();
      });
      ws.addEventListener("message", (event: MessageEvent) => {
        const view = readStatusEvent(event.data);
        if (view !== undefined) void parts.heard([view]).catch(() => {});
      });
      ws.addEventListener("close", (event: CloseEvent) => {
        if (socket !== ws) return;
        socket = undefined;
        if (open) parts.connected(false);
        open = false;
        schedulePoll();
        reconnect(event.code === CLOSE_EXPIRED);
      });
    } catch {
      reconnect(false);
    }
  };

  schedulePoll();
  void poll();
  void connect(false);
  return () => {
    stopped = true;
    clearTimeout(reconnectTimer);
    clearTimeout(pollTimer);
    const ws = socket;
    socket = undefined;
    if (open) parts.connected(false);
    open = false;
    ws?.close(1000, "stopped");
  };
}

const reconnectError = { name: "Error", code: "socket_closed", message: "closed", retryable: true };
