/**
 * The HTTP calls the sync makes to the edge (wire contract v1), each turned into plain data: no
 * exception leaves for an HTTP status, so callers decide on codes, not on caught errors. Each
 * call, body included, ends by the endpoint's deadline (deadline.ts); one that runs out is a
 * network failure, while a push that the endpoint's stop signal ended is `stopped`.
 */

import type { SubmitItemResult, TaskView, WireTask } from "@errand/core/wire";
import { type PushResponse, parseRetryAfter } from "../lifecycle/push-outcome.ts";
import { isStop, type RequestLimits, withDeadline } from "../utils/deadline.ts";

/** Where the edge is and how to call it (within `timeoutMs`, until `signal` aborts). */
export interface EdgeEndpoint extends RequestLimits {
  /** The API's base URL, e.g. `https://api.example.com`. */
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/**
 * `POST /v1/tasks`. A body that breaks off mid-answer counts as a network failure; one the
 * endpoint's stop cut short, as `stopped`: only an answer read whole is the edge's answer.
 */
export function submitTasks(
  edge: EdgeEndpoint,
  token: string,
  tasks: readonly WireTask[],
): Promise<PushResponse> {
  return withDeadline(edge, async (signal): Promise<PushResponse> => {
    const response = await edge.fetch(new URL("/v1/tasks", edge.url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ tasks }),
      signal,
    });
    if (response.status !== 200) return statusOf(response, edge.now());
    try {
      const body = (await response.json()) as { results?: SubmitItemResult[] };
      if (Array.isArray(body.results)) return { kind: "results", results: body.results };
      return { kind: "status", status: 502, code: "invalid_response", message: "No results in the answer" };
    } catch (error) {
      // The tasks may be stored: the resend is answered `duplicate`.
      return { kind: "network", message: `The answer broke off: ${messageOf(error)}` };
    }
  }).catch(
    (error: unknown): PushResponse =>
      isStop(edge, error) ? { kind: "stopped" } : { kind: "network", message: messageOf(error) },
  );
}

/** `GET /v1/tasks?ids=…` (at most 100 ids); undefined when the call failed. */
export async function readTasks(
  edge: EdgeEndpoint,
  token: string,
  ids: readonly string[],
): Promise<{ tasks: TaskView[] } | { failed: PushResponse }> {
  try {
    const url = new URL("/v1/tasks", edge.url);
    url.searchParams.set("ids", ids.join(","));
    return await withDeadline(edge, async (signal) => {
      const response = await edge.fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
      if (response.status !== 200) return { failed: await statusOf(response, edge.now()) };
      const body = (await response.json()) as { tasks?: TaskView[] } | null;
      // Not an answer of the contract (a proxy's page, a wrong URL): a failed read, never "the
      // edge holds none of these", which would end sent tasks as forgotten.
      if (!Array.isArray(body?.tasks)) {
        return { failed: { kind: "network", message: "GET /v1/tasks answered 200 without a tasks array" } };
      }
      return { tasks: body.tasks };
    });
  } catch (error) {
    return { failed: { kind: "network", message: messageOf(error) } };
  }
}

/** What `POST /v1/tasks/:id/cancel` answered: the task it cancelled, or the failure. */
export type CancelResponse = { readonly kind: "cancelled"; readonly view: TaskView } | PushResponse;

/**
 * `POST /v1/tasks/:id/cancel`. Like a push, only an answer read whole is the edge's answer, and
 * a call the endpoint's stop cut short is `stopped`.
 */
export function cancelTask(edge: EdgeEndpoint, token: string, id: string): Promise<CancelResponse> {
  return withDeadline(edge, async (signal): Promise<CancelResponse> => {
    const response = await edge.fetch(new URL(`/v1/tasks/${encodeURIComponent(id)}/cancel`, edge.url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      signal,
    });
    if (response.status !== 200) return statusOf(response, edge.now());
    const view = (await response.json()) as TaskView | null;
    if (typeof view?.status === "string") return { kind: "cancelled", view };
    return { kind: "status", status: 502, code: "invalid_response", message: "No task in the answer" };
  }).catch(
    (error: unknown): CancelResponse =>
      isStop(edge, error) ? { kind: "stopped" } : { kind: "network", message: messageOf(error) },
  );
}

/** `POST /v1/events/ticket`: a one-use ticket for the events socket. */
export async function eventTicket(
  edge: EdgeEndpoint,
  token: string,
): Promise<{ ticket: string } | { failed: PushResponse }> {
  try {
    return await withDeadline(edge, async (signal) => {
      const response = await edge.fetch(new URL("/v1/events/ticket", edge.url), {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        signal,
      });
      if (response.status !== 200) return { failed: await statusOf(response, edge.now()) };
      const body = (await response.json()) as { ticket?: unknown };
      if (typeof body.ticket !== "string") throw new Error("no ticket in the answer");
      return { ticket: body.ticket };
    });
  } catch (error) {
    return { failed: { kind: "network", message: messageOf(error) } };
  }
}

/** The events socket's URL for a ticket. */
export function eventsUrl(base: string, ticket: string): string {
  const url = new URL("/v1/events", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("ticket", ticket);
  return url.toString();
}

async function statusOf(response: Response, now: number): Promise<PushResponse> {
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: unknown; message?: unknown };
  } | null;
  const code = typeof body?.error?.code === "string" ? body.error.code : undefined;
  const message = typeof body?.error?.message === "string" ? body.error.message : undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  return {
    kind: "status",
    status: response.status,
    ...(code === undefined ? {} : { code }),
    ...(message === undefined ? {} : { message }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
