/**
 * Test-only fault injection (`FAULTS=1`, the `test` environment), per tenant, set with
 * `POST /v1/dev/faults`. Rules apply to `POST /v1/tasks` and are spent as they fire:
 * - `unavailable`: answer `503` with `Retry-After` before doing anything, `count` times;
 * - `drop-response`: do the work (tasks are committed), then break the response body, so the
 *   client sees a failed request after a commit, `count` times;
 * - `fail-send`: store the tasks but fail the subject object's send to the delivery queues, as if
 *   the isolate died between store and send, `count` times;
 * - `reject`: make the item with this id invalid, so it is rejected (`invalid_task`), once.
 */
import { errorBody } from "@errand/core/wire";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";

/** One fault rule. */
export type FaultRule =
  | { kind: "unavailable"; count: number; retryAfter?: number }
  | { kind: "drop-response"; count: number }
  | { kind: "fail-send"; count: number }
  | { kind: "reject"; id: string };

const rules = new Map<string, FaultRule[]>();

/** Replaces a tenant's rules. */
export function setFaults(tenant: string, list: FaultRule[]): void {
  rules.set(tenant, list);
}

/** Parses rules from a request body, whatever JSON it holds; undefined when malformed. */
export function parseFaults(body: unknown): FaultRule[] | undefined {
  const list = (body as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) return undefined;
  const out: FaultRule[] = [];
  for (const r of list as unknown[]) {
    if (typeof r !== "object" || r === null) return undefined;
    const { kind, id, retryAfter, count: times } = r as Record<string, unknown>;
    const count = wholeNumber(times, 1);
    if (kind === "unavailable")
      out.push({ kind: "unavailable", count, retryAfter: wholeNumber(retryAfter, 1) });
    else if (kind === "drop-response" || kind === "fail-send") out.push({ kind, count });
    else if (kind === "reject" && typeof id === "string") out.push({ kind: "reject", id });
    else return undefined;
  }
  return out;
}

function wholeNumber(value: unknown, fallback: number): number {
  return Number.isInteger(value) && (value as number) >= 0 ? (value as number) : fallback;
}

/** The middleware, registered after authentication. */
export function faults(): MiddlewareHandler<AppEnv> {
  return async function faults(c, next) {
    if (c.req.method !== "POST" || c.req.path !== "/v1/tasks") return next();
    const list = rules.get(c.get("principal").tenant.id) ?? [];
    if (list.length === 0) return next();
    const unavailable = take(list, "unavailable");
    if (unavailable) {
      return c.json(errorBody("internal_error", "Injected fault: unavailable."), 503, {
        "Retry-After": String(unavailable.retryAfter ?? 1),
      });
    }
    if (take(list, "fail-send")) c.set("failSend", true);
    await rejectItems(c, list);
    const drop = take(list, "drop-response");
    await next();
    if (drop) c.res = brokenResponse(c.res.status);
  };
}

function take<K extends FaultRule["kind"]>(
  list: FaultRule[],
  kind: K,
): Extract<FaultRule, { kind: K }> | undefined {
  const rule = list.find(
    (r): r is Extract<FaultRule, { kind: K }> => r.kind === kind && (!("count" in r) || r.count > 0),
  );
  if (rule && "count" in rule) rule.count--;
  return rule;
}

async function rejectItems(c: Context<AppEnv>, list: FaultRule[]): Promise<void> {
  const ids = list.flatMap((r) => (r.kind === "reject" ? [r.id] : []));
  if (ids.length === 0) return;
  const text = await c.req.raw.clone().text();
  let body: { tasks?: { id?: unknown; topic?: unknown }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return;
  }
  if (!Array.isArray(body.tasks)) return;
  let hit = false;
  for (const task of body.tasks) {
    if (typeof task?.id === "string" && ids.includes(task.id)) {
      task.topic = "!rejected-by-fault";
      hit = true;
      rules.set(
        c.get("principal").tenant.id,
        list.filter((r) => !(r.kind === "reject" && r.id === task.id)),
      );
    }
  }
  if (hit) {
    c.req.raw = new Request(c.req.raw, { body: JSON.stringify(body) });
  }
}

function brokenResponse(status: number): Response {
  const body = new ReadableStream({
    start(controller) {
      controller.error(new Error("Injected fault: response dropped after commit."));
    },
  });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}
