/**
 * `/v1/tasks`: submit, read one, read many, cancel. A token reads and cancels in its own
 * subject's object. A key reads any subject's task of its tenant: first in the server subject's
 * object (tasks published with keys), then through the task index that other subjects' objects
 * feed to D1 (fresh within `FEED_SECONDS` of the task's ingest).
 */
import { MAX_BODY_BYTES, parseIdsQuery, type TaskListResponse, type TaskView } from "@errand/core/wire";
import { type Context, Hono } from "hono";
import { chargeSubject } from "../auth/authenticate.ts";
import { hasScope, mayPublish, type Principal } from "../auth/principal.ts";
import { objectByHex, subjectObject } from "../objects/subject-ref.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { submitTasks } from "./ingest.ts";
import { jsonBody } from "./json-body.ts";

/** The task routes, mounted at `/v1/tasks`. */
export const tasksRoutes = new Hono<AppEnv>()
  .post("/", jsonBody({ maxBytes: MAX_BODY_BYTES }), submitTasks)
  .get("/", chargeSubject(), async (c) => {
    const principal = requireRead(c.get("principal"));
    const ids = parseIdsQuery(c.req.query("ids"));
    if (!ids.ok) throw new ApiError("invalid_request", ids.error.message);
    const tasks = await readViews(c, principal, ids.value);
    return c.json({ tasks } satisfies TaskListResponse);
  })
  .get("/:id", chargeSubject(), async (c) => {
    const principal = requireRead(c.get("principal"));
    const [view] = await readViews(c, principal, [c.req.param("id")]);
    if (!view) throw notFound(c.req.param("id"));
    return c.json(view);
  })
  .post("/:id/cancel", chargeSubject(), async (c) => {
    const principal = c.get("principal");
    const id = c.req.param("id");
    const admin = hasScope(principal, "admin");
    if (!admin && !hasScope(principal, "publish")) throw notFound(id);
    const holder = await holderOf(c, principal, id, admin);
    if (!holder) throw notFound(id);
    const topic = await holder.topicOf(id);
    if (topic === undefined || (!admin && !mayPublish(principal, topic))) throw notFound(id);
    const { outcome, view } = await holder.cancel(id);
    if (outcome === "not_found" || !view) throw notFound(id);
    if (outcome === "already_final") throw new ApiError("already_final", `Task ${id} is already final.`);
    return c.json(view);
  });

type SubjectStub = ReturnType<typeof subjectObject>;

/**
 * Views of these ids the principal may read, in the order asked: a token's own subject's; a
 * key's server subject's, then any other subject's through the task index.
 */
async function readViews(
  c: Context<AppEnv>,
  principal: Principal,
  ids: readonly string[],
): Promise<TaskView[]> {
  const own = subjectObject(c.env, principal.tenant.id, principal.subject);
  const found = await own.views([...ids]);
  if (principal.kind === "token" || found.length === ids.length) return found;
  const missing = ids.filter((id) => !found.some((view) => view.id === id));
  const indexed = await indexedObjects(c.env.DB, principal.tenant.id, missing);
  const byObject = new Map<string, string[]>();
  for (const { id, object } of indexed) byObject.set(object, [...(byObject.get(object) ?? []), id]);
  const more = await Promise.all(
    [...byObject].map(async ([hex, list]) => (await objectByHex(c.env, hex)?.views(list)) ?? []),
  );
  const views = new Map<string, TaskView>();
  for (const view of [...more.flat(), ...found]) views.set(view.id, view);
  return ids.flatMap((id) => {
    const view = views.get(id);
    return view ? [view] : [];
  });
}

/** The object holding a task the principal may act on, if any. */
async function holderOf(
  c: Context<AppEnv>,
  principal: Principal,
  id: string,
  admin: boolean,
): Promise<SubjectStub | undefined> {
  const own = subjectObject(c.env, principal.tenant.id, principal.subject);
  if (!admin || (await own.topicOf(id)) !== undefined) return own;
  const [indexed] = await indexedObjects(c.env.DB, principal.tenant.id, [id]);
  return indexed ? objectByHex(c.env, indexed.object) : undefined;
}

/** Which objects hold these ids, from the task index (one per id: the earliest accepted). */
async function indexedObjects(
  db: D1Database,
  tenant: string,
  ids: readonly string[],
): Promise<{ id: string; object: string }[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .prepare(
      `SELECT id, object FROM task_index WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))
       ORDER BY accepted_at`,
    )
    .bind(tenant, JSON.stringify(ids))
    .all<{ id: string; object: string }>();
  const first = new Map<string, string>();
  for (const row of rows.results) if (!first.has(row.id)) first.set(row.id, row.object);
  return [...first].map(([id, object]) => ({ id, object }));
}

function requireRead(principal: Principal): Principal {
  if (!hasScope(principal, "read") && !hasScope(principal, "admin")) {
    throw new ApiError("forbidden", "This key has no read scope.");
  }
  return principal;
}

function notFound(id: string): ApiError {
  return new ApiError("not_found", `No task ${id}.`);
}
