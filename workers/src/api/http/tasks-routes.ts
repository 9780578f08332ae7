/** `/v1/tasks`: submit, read one, read many, cancel. */
import { MAX_BODY_BYTES, parseIdsQuery, type TaskListResponse } from "@errand/core/wire";
import { Hono } from "hono";
import { hasScope, mayPublish, type Principal, readableSubject } from "../auth/principal.ts";
import { cancelTask } from "../objects/cancel.ts";
import { findTask, viewsByIds } from "../objects/task-views.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { submitTasks } from "./ingest.ts";
import { jsonBody } from "./json-body.ts";

/** The task routes, mounted at `/v1/tasks`. */
export const tasksRoutes = new Hono<AppEnv>()
  .post("/", jsonBody({ maxBytes: MAX_BODY_BYTES }), submitTasks)
  .get("/", async (c) => {
    const principal = requireRead(c.get("principal"));
    const ids = parseIdsQuery(c.req.query("ids"));
    if (!ids.ok) throw new ApiError("invalid_request", ids.error.message);
    const tasks = await viewsByIds(c.env.DB, principal.tenant.id, readableSubject(principal), ids.value);
    return c.json({ tasks } satisfies TaskListResponse);
  })
  .get("/:id", async (c) => {
    const principal = requireRead(c.get("principal"));
    const [view] = await viewsByIds(c.env.DB, principal.tenant.id, readableSubject(principal), [
      c.req.param("id"),
    ]);
    if (!view) throw notFound(c.req.param("id"));
    return c.json(view);
  })
  .post("/:id/cancel", async (c) => {
    const principal = c.get("principal");
    const id = c.req.param("id");
    const key = await cancellableTask(c.env.DB, principal, id);
    if (key === undefined) throw notFound(id);
    const outcome = await cancelTask(c.env, key);
    if (outcome === "not_found") throw notFound(id);
    if (outcome === "already_final") throw new ApiError("already_final", `Task ${id} is already final.`);
    const [view] = await viewsByIds(c.env.DB, principal.tenant.id, readableSubject(principal), [id]);
    return c.json(view);
  });

/**
 * The key of a task the principal may cancel: with `admin`, any task of its tenant; else one
 * it could have published (its own subject's, on a topic it may publish to). Undefined (a `404`,
 * which tells nothing about other subjects' tasks) otherwise.
 */
async function cancellableTask(
  db: D1Database,
  principal: Principal,
  id: string,
): Promise<number | undefined> {
  const admin = hasScope(principal, "admin");
  if (!admin && !hasScope(principal, "publish")) return undefined;
  const task = await findTask(db, principal.tenant.id, admin ? undefined : principal.subject, id);
  return task && (admin || mayPublish(principal, task.topic)) ? task.key : undefined;
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
