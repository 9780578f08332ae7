/**
 * `POST /v1/tasks`: parses the body (read by `jsonBody`) with core's schema, stores the
 * items the credential may publish and plans each item against what was stored before them
 * (one D1 transaction, one round trip), then puts the stored tasks' keys on the ingest queue.
 * A task counts as accepted once stored: if the send fails, or the Worker dies before it, the
 * repair alarm sends it.
 */
import { parseSubmitTasksRequest, type SubmitTasksResponse } from "@errand/core/wire";
import type { Context } from "hono";
import { sha256Hex } from "../auth/crypto.ts";
import { mayPublish } from "../auth/principal.ts";
import { planIngest } from "../objects/ingest-plan.ts";
import { markQueued, type StoredTask, storeIngest } from "../objects/task-store.ts";
import type { IngestMessage } from "../queues/messages.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

let repairArmed = false;

/** The route handler. */
export async function submitTasks(c: Context<AppEnv>): Promise<Response> {
  const principal = c.get("principal");
  const parsed = parseSubmitTasksRequest(c.get("body"));
  if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
  const { items } = parsed.value;
  const valid = items.flatMap((item, index) => (item.ok ? [{ index, task: item.task }] : []));
  // What this credential may publish is known without storage; everything else is decided by
  // the plan from facts read in the same transaction that stores the candidates.
  const candidates = valid.filter(({ task }) => mayPublish(principal, task.topic));
  const hashes = new Map(
    await Promise.all(
      candidates.map(
        async ({ index, task }) => [index, await sha256Hex(JSON.stringify(task.payload))] as const,
      ),
    ),
  );
  const { facts, stored } =
    candidates.length === 0
      ? { facts: { existing: [], knownTopics: new Set<string>() }, stored: [] }
      : await storeIngest(
          c.env.DB,
          principal.tenant.id,
          principal.subject,
          crypto.randomUUID(),
          candidates.map(({ index, task }) => ({ task, payloadHash: hashes.get(index) ?? "" })),
        );
  const plan = planIngest(items, {
    mayPublish: (topic) => mayPublish(principal, topic),
    knownTopics: facts.knownTopics,
    existing: facts.existing,
    hashes,
  });
  // The store took exactly what the plan accepts (storeIngest says why); an accepted item it did
  // not take would be a duplicate, which its answer then says rather than a wrong "accepted".
  const storedIds = new Set(stored.map((s) => s.id));
  for (const { index, task } of plan.toStore) {
    if (!storedIds.has(task.id)) plan.results[index] = { id: task.id, status: "duplicate" };
  }
  if (stored.length > 0) await queueStored(c.env, c.executionCtx, stored);
  return c.json({ results: plan.results } satisfies SubmitTasksResponse, 200);
}

/**
 * Sends stored tasks to the ingest queue. A failed send is logged, not thrown: the tasks are
 * stored, so the answer is still 2xx and the repair alarm (armed before the send) sends them.
 */
export async function queueStored(
  env: Env,
  ctx: { waitUntil(promise: Promise<unknown>): void },
  stored: readonly StoredTask[],
): Promise<void> {
  if (!repairArmed) {
    await env.REPAIR.get(env.REPAIR.idFromName("repair")).ensureArmed();
    repairArmed = true;
  }
  try {
    await env.INGEST_QUEUE.sendBatch(
      stored.map((s) => ({ body: { key: s.key } satisfies IngestMessage, delaySeconds: s.delaySeconds })),
    );
  } catch (error) {
    console.error("errand-api: ingest send failed; the repair alarm will resend", error);
    return;
  }
  ctx.waitUntil(
    markQueued(
      env.DB,
      stored.map((s) => s.key),
    )
      .run()
      .catch((error: unknown) => console.error("errand-api: marking queued failed", error)),
  );
}
