/**
 * `POST /v1/tasks`: parses the body (read by `jsonBody`) with core's schema, answers what the
 * credential and the tenant's topics decide (invalid, `topic_forbidden`, `unknown_topic`), and
 * hands the rest to the subject's object in one call: it plans them against what it holds
 * (duplicates, `id_conflict`), stores them with their deliveries in one transaction, and sends
 * them on. A task counts as accepted once stored: if a send fails, or the isolate dies, the
 * object's alarm sends it.
 */
import { parseSubmitTasksRequest, type SubmitItemResult, type SubmitTasksResponse } from "@errand/core/wire";
import type { Context } from "hono";
import { rateLimited } from "../auth/authenticate.ts";
import { sha256Hex } from "../auth/crypto.ts";
import { mayPublish } from "../auth/principal.ts";
import { tenantTopics } from "../auth/topic-config.ts";
import { subjectObject } from "../objects/subject-ref.ts";
import type { TopicSnapshot } from "../objects/subject-tasks.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** The route handler. */
export async function submitTasks(c: Context<AppEnv>): Promise<Response> {
  const principal = c.get("principal");
  const parsed = parseSubmitTasksRequest(c.get("body"));
  if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
  const { items } = parsed.value;
  const topics = await tenantTopics(c.env, principal.tenant.id);
  const results: (SubmitItemResult | undefined)[] = items.map((item) => {
    if (!item.ok)
      return { ...(item.id === undefined ? {} : { id: item.id }), status: "rejected", error: item.error };
    const { id, topic } = item.task;
    if (!mayPublish(principal, topic))
      return rejected(id, "topic_forbidden", `This credential may not publish to ${topic}.`);
    if (!topics.has(topic)) return rejected(id, "unknown_topic", `No topic named ${topic}.`);
    return undefined;
  });
  const candidates = items.flatMap((item, index) =>
    results[index] === undefined && item.ok ? [{ item, index }] : [],
  );
  if (candidates.length > 0) {
    const used: Record<string, TopicSnapshot> = {};
    for (const { item } of candidates) {
      if (!item.ok) continue;
      const topic = topics.get(item.task.topic);
      if (topic) used[item.task.topic] = topic;
    }
    const hashes = await Promise.all(
      candidates.map(({ item }) => (item.ok ? sha256Hex(JSON.stringify(item.task.payload)) : "")),
    );
    const answers = await subjectObject(c.env, principal.tenant.id, principal.subject).ingest(
      { tenant: principal.tenant.id, subject: principal.subject },
      { items: candidates.map(({ item }) => item), hashes, topics: used },
      {
        failSend: c.get("failSend") === true,
        // A token's subject limit is charged in this call (see chargeSubject).
        ...(principal.kind === "token" ? { limit: principal.tenant.rates.subject } : {}),
      },
    );
    if (!Array.isArray(answers)) throw rateLimited(answers.retryAfter);
    candidates.forEach(({ index }, i) => {
      results[index] = answers[i];
    });
  }
  return c.json({ results: results as SubmitItemResult[] } satisfies SubmitTasksResponse, 200);
}

function rejected(id: string, code: "topic_forbidden" | "unknown_topic", message: string): SubmitItemResult {
  return { id, status: "rejected", error: { code, message } };
}
