/**
 * Helpers for workerd tests of the API: requests through the Worker's own fetch, a fresh tenant
 * per test (so tests never share state), and polling with a deadline.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { DeliveryRef } from "@errand/edge";

/** Calls the API Worker. */
export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://api.test${path}`, init);
}

/** Calls the API with a credential and an optional JSON body. */
export function call(credential: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${credential}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return api(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Calls the API and parses a JSON answer, failing on an unexpected status. */
export async function json<T>(
  credential: string,
  method: string,
  path: string,
  body?: unknown,
  status = 200,
): Promise<T> {
  const response = await call(credential, method, path, body);
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${method} ${path}: expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A fresh tenant with an admin key. */
export async function newTenant(
  options: { origins?: string[]; rates?: Record<string, number> } = {},
): Promise<{
  tenant: string;
  key: string;
}> {
  const response = await api("/v1/dev/tenants", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(options),
  });
  if (response.status !== 201)
    throw new Error(`creating a tenant failed: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Creates a topic with subscriptions; returns the subscriptions (with webhook secrets). */
export async function topicWith(
  key: string,
  topic: string,
  subscriptions: {
    kind: "queue" | "webhook" | "live";
    target: string;
    resultFrom?: boolean;
    onDead?: "continue" | "halt";
  }[],
): Promise<{ id: string; kind: string; secret?: string }[]> {
  await json(key, "PUT", `/v1/topics/${topic}`, {});
  const made = [];
  for (const sub of subscriptions)
    made.push(
      await json<{ id: string; kind: string; secret?: string }>(
        key,
        "POST",
        `/v1/topics/${topic}/subscriptions`,
        sub,
        201,
      ),
    );
  return made;
}

/** Submits tasks and returns the per-item results. */
export async function submit(
  credential: string,
  tasks: Record<string, unknown>[],
): Promise<{ id?: string; status: string; error?: { code: string } }[]> {
  const { results } = await json<{ results: { id?: string; status: string; error?: { code: string } }[] }>(
    credential,
    "POST",
    "/v1/tasks",
    { tasks },
  );
  return results;
}

/** A task's view. */
export interface View {
  id: string;
  status: string;
  attempts: number;
  deliveries: { subscription: string; status: string; attempts: number; lastError?: { code: string } }[];
  result?: unknown;
}

/** Reads task views by id. */
export async function views(credential: string, ids: readonly string[]): Promise<View[]> {
  const out: View[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const { tasks } = await json<{ tasks: View[] }>(
      credential,
      "GET",
      `/v1/tasks?ids=${ids.slice(i, i + 100).join(",")}`,
    );
    out.push(...tasks);
  }
  return out;
}

/** Effect rows the example consumer committed for these task ids, in commit order. */
export async function effects(
  ids: readonly string[],
): Promise<{ task_id: string; ordering_key: string | null; subject: string }[]> {
  const out = [];
  for (let i = 0; i < ids.length; i += 100) {
    const response = await env.EXAMPLE_CONSUMER.fetch(
      `http://consumer/effects?ids=${ids.slice(i, i + 100).join(",")}`,
    );
    const body = await response.json<{
      effects: { task_id: string; ordering_key: string | null; subject: string; seq: number }[];
    }>();
    out.push(...body.effects);
  }
  return out.sort((a, b) => (a as { seq: number }).seq - (b as { seq: number }).seq);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Unique ids for one test. */
export function ids(prefix: string, n: number): string[] {
  const run = crypto.randomUUID().slice(0, 8);
  return Array.from({ length: n }, (_, i) => `${prefix}-${run}-${i}`);
}

/** Opens `/v1/events` with a fresh ticket and collects what arrives. */
export async function openEvents(credential: string): Promise<{
  socket: WebSocket;
  messages: { type: string; task: View }[];
  closed: Promise<{ code: number }>;
}> {
  const { ticket } = await json<{ ticket: string }>(credential, "POST", "/v1/events/ticket");
  const response = await api(`/v1/events?ticket=${encodeURIComponent(ticket)}`, {
    headers: { upgrade: "websocket" },
  });
  const socket = response.webSocket;
  if (!socket) throw new Error(`no WebSocket: ${response.status} ${await response.text()}`);
  socket.accept();
  const messages: { type: string; task: View }[] = [];
  socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
  const closed = new Promise<{ code: number }>((resolve) =>
    socket.addEventListener("close", (event) => resolve({ code: event.code })),
  );
  return { socket, messages, closed };
}

/** Registers the secrets the example consumer's webhook receiver `name` accepts. */
export async function registerReceiver(name: string, secrets: string[]): Promise<void> {
  const response = await env.EXAMPLE_CONSUMER.fetch(`http://consumer/receivers/${name}`, {
    method: "PUT",
    body: JSON.stringify({ secrets }),
  });
  if (!response.ok) throw new Error(`registering receiver ${name} failed: ${response.status}`);
}

/** What the example consumer's webhook receiver `name` got. */
export async function receipts(name: string): Promise<{ task_id: string; body: string }[]> {
  const response = await env.EXAMPLE_CONSUMER.fetch(`http://consumer/receivers/${name}/receipts`);
  return (await response.json<{ receipts: { task_id: string; body: string }[] }>()).receipts;
}

/** Turns one of the example consumer's switches on or off (`fatalWhile` tasks fail while on). */
export async function flipSwitch(name: string, on: boolean): Promise<void> {
  const response = await env.EXAMPLE_CONSUMER.fetch(`http://consumer/switches/${name}`, {
    method: on ? "PUT" : "DELETE",
  });
  if (!response.ok) throw new Error(`flipping switch ${name} failed: ${response.status}`);
}

/** The id (hex) of a subject's object. */
export function subjectObjectHex(tenant: string, subject: string): string {
  return env.SUBJECT.idFromName(JSON.stringify([tenant, subject])).toString();
}

/** Runs SQL inside a subject's object: tests that look at, or age, what it holds. */
export async function subjectSql<T = Record<string, unknown>>(
  tenant: string,
  subject: string,
  query: string,
  ...bindings: (string | number | null)[]
): Promise<T[]> {
  const stub = env.SUBJECT.get(env.SUBJECT.idFromName(JSON.stringify([tenant, subject])));
  return runInDurableObject(
    stub,
    (_, state) => state.storage.sql.exec(query, ...bindings).toArray() as unknown as T[],
  );
}

/** The delivery message of a task of a subject at a subscription. */
export async function deliveryRef(
  tenant: string,
  subject: string,
  taskId: string,
  subscription: string,
): Promise<DeliveryRef> {
  const [row] = await subjectSql<{ key: number }>(
    tenant,
    subject,
    "SELECT key FROM tasks WHERE id = ?",
    taskId,
  );
  if (!row) throw new Error(`no task ${taskId} in subject ${JSON.stringify(subject)}`);
  return { task: row.key, subscription, object: subjectObjectHex(tenant, subject) };
}

/** Runs a subject object's alarm work now (sends what is overdue, feeds D1, purges). */
export async function repairSubject(tenant: string, subject: string): Promise<void> {
  const stub = env.SUBJECT.get(env.SUBJECT.idFromName(JSON.stringify([tenant, subject])));
  await stub.repairNow();
}
