// The edge benchmark's cost: billable operations per 1,000 tasks with one queue subscription,
// counted by Errand's own meters in a `wrangler dev` started with METERED=1 (the dev entry's
// meters: workers/src/api/dev/meters.ts, read at GET /v1/dev/usage). A run with RETENTION_DAYS=0
// sees each task's removal too (a cost every task pays, 7 days later in production); it suits
// the API key's tasks only, which the objects never feed to the tenant's task index: a client
// token's tasks would be removed before their feed. So a token run keeps the deployed retention
// and is priced with the removal measured in the key's run. Priced at the published rates of
// bench/edge-prices.ts, beside Cloudflare Queues alone (three operations a message) and QStash
// (one message a delivery).

import { completedOf, errandTenant, postTasks } from "./edge-pipelines.ts";
import { costOf, PRICES, type Price } from "./edge-prices.ts";

interface Tally {
  calls: number;
  rowsRead: number;
  rowsWritten: number;
}

/** GET /v1/dev/usage with METERED=1 (see workers/src/api/dev/dev-routes.ts). */
interface Usage {
  objects: number;
  requests: number;
  rowsRead: number;
  rowsWritten: number;
  completed: number;
  meters: {
    invocations: { http: number; queueBatches: number };
    consumerApi: { claims: number; claimed: number; completes: number; completed: number; fails: number };
    queueMessages: Record<string, number>;
    objectCalls: Record<string, number>;
    d1: Record<string, Tally>;
    subjectStorage: { setAlarm: number; deleteAll: number };
    subjectSql: Record<string, Tally>;
    consumer: { invocations: number; messages: number; d1: Record<string, Tally> };
  };
}

/** One cost measurement: what was sent, and what it took. */
export interface CostRun {
  label: string;
  tasks: number;
  batch: number;
  subjects: number;
  /** Seconds from the first send to the last completion. */
  seconds: number;
  /** Whether the run saw its tasks removed (RETENTION_DAYS=0). */
  removal: boolean;
  counts: CostCounts;
  /** The statements of subject objects that wrote most, with rows written per task. */
  topWrites: { statement: string; perTask: number }[];
}

/** Counts of one run, each for the whole run. */
export interface CostCounts {
  httpRequests: number;
  consumerInvocations: number;
  apiQueueInvocations: number;
  messagesWritten: number;
  messagesRead: number;
  subjectRequests: number;
  otherObjectRequests: number;
  objectsTouched: number;
  sqlStatements: number;
  sqlRowsRead: number;
  sqlRowsWritten: number;
  /** Of those, rows written by removal (retention's deletes). */
  removalRowsWritten: number;
  setAlarms: number;
  deleteAlls: number;
  /** The API Worker's D1 (the tenant-wide feed, config reads), and the consumer's idempotency marks. */
  d1RowsRead: number;
  d1RowsWritten: number;
  d1Queries: number;
  /** The consumer's own effect rows: the application's work, as with any queue; not Errand's. */
  effectRowsWritten: number;
}

/**
 * Sends `tasks` tasks in batches of `batch` over `subjects` client tokens (0: the tenant's API
 * key) with 8 senders, waits until every one completed and then, with `removal` (the server runs
 * with RETENTION_DAYS=0), until its object's retention removed it (an object left empty deletes
 * its storage), else until the objects fed the tenant's views, and counts what it took.
 */
export async function measureCost(
  url: string,
  {
    label,
    tasks,
    batch,
    subjects,
    removal,
  }: { label: string; tasks: number; batch: number; subjects: number; removal: boolean },
): Promise<CostRun> {
  const { key, credentials } = await errandTenant(url, subjects);
  const before = await usage(url, key);
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = next++; b * batch < tasks; b = next++) {
        const credential = credentials[b % credentials.length] ?? key;
        await postTasks(url, credential, Math.min(batch, tasks - b * batch), { sentAt: Date.now() }, `c${b}`);
      }
    }),
  );
  const deadline = Date.now() + 120_000;
  while ((await completedOf(url, key)) < tasks && Date.now() < deadline) await sleep(50);
  const seconds = (Date.now() - started) / 1000;
  // Retention (RETENTION_DAYS=0) removes finished tasks a second after they finish, 1,000 per
  // alarm; an object left empty deletes its storage. The feed runs every FEED_SECONDS (2 s).
  const objects = Math.max(1, subjects);
  while (
    removal &&
    (await usage(url, key)).meters.subjectStorage.deleteAll - before.meters.subjectStorage.deleteAll <
      objects &&
    Date.now() < deadline
  ) {
    await sleep(250);
  }
  await sleep(removal ? 1000 : 5000);
  const after = await usage(url, key);
  return { label, tasks, batch, subjects, seconds, removal, ...countsOf(before, after, tasks) };
}

function countsOf(
  before: Usage,
  after: Usage,
  tasks: number,
): { counts: CostCounts; topWrites: CostRun["topWrites"] } {
  const m = after.meters;
  const b = before.meters;
  const sql = diff(m.subjectSql, b.subjectSql);
  const d1 = diff(m.d1, b.d1);
  const consumerD1 = diff(m.consumer.d1, b.consumer.d1);
  // The consumer's statements on its idempotency marks are Errand's; the rest is its handler's.
  const marks = Object.entries(consumerD1).filter(([q]) => q.includes("errand_applied"));
  const effects = Object.entries(consumerD1).filter(([q]) => !q.includes("errand_applied"));
  const sum = (entries: [string, Tally][], field: keyof Tally) =>
    entries.reduce((total, [, t]) => total + t[field], 0);
  const api = Object.entries(d1);
  const other = (name: string) => (m.objectCalls[name] ?? 0) - (b.objectCalls[name] ?? 0);
  const counts: CostCounts = {
    httpRequests: m.invocations.http - b.invocations.http,
    consumerInvocations: m.consumer.invocations - b.consumer.invocations,
    apiQueueInvocations: m.invocations.queueBatches - b.invocations.queueBatches,
    messagesWritten:
      Object.values(m.queueMessages).reduce((a, n) => a + n, 0) -
      Object.values(b.queueMessages).reduce((a, n) => a + n, 0),
    messagesRead: m.consumer.messages - b.consumer.messages,
    subjectRequests: after.requests,
    otherObjectRequests: other("Hub"),
    objectsTouched: after.objects,
    sqlStatements: sum(Object.entries(sql), "calls"),
    sqlRowsRead: sum(Object.entries(sql), "rowsRead"),
    sqlRowsWritten: sum(Object.entries(sql), "rowsWritten"),
    removalRowsWritten: sum(
      Object.entries(sql).filter(([q]) => q.startsWith("DELETE")),
      "rowsWritten",
    ),
    setAlarms: m.subjectStorage.setAlarm - b.subjectStorage.setAlarm,
    deleteAlls: m.subjectStorage.deleteAll - b.subjectStorage.deleteAll,
    d1RowsRead: sum(api, "rowsRead") + sum(marks, "rowsRead"),
    d1RowsWritten: sum(api, "rowsWritten") + sum(marks, "rowsWritten"),
    d1Queries: sum(api, "calls") + sum(marks, "calls"),
    effectRowsWritten: sum(effects, "rowsWritten"),
  };
  const topWrites = Object.entries(sql)
    .sort(([, x], [, y]) => y.rowsWritten - x.rowsWritten)
    .slice(0, 8)
    .map(([statement, t]) => ({ statement, perTask: t.rowsWritten / tasks }));
  return { counts, topWrites };
}

/** A line of the priced table: units per 1,000 tasks and what they cost. */
export interface CostLine {
  item: string;
  per1000: number;
  price: Price;
  usd: number;
}

/**
 * The run's counts per 1,000 tasks, priced; DO duration as an upper bound (see below). A run
 * that did not see removal is priced with `removalPerTask` rows written (another run's).
 */
export function priceRun(run: CostRun, removalPerTask = 0): CostLine[] {
  const c = run.counts;
  const k = 1000 / run.tasks;
  const line = (item: string, count: number, price: Price): CostLine => ({
    item,
    per1000: count * k,
    price,
    usd: costOf(price, count * k),
  });
  return [
    line(
      "Worker invocations (HTTP requests, consumer and API queue batches)",
      c.httpRequests + c.consumerInvocations + c.apiQueueInvocations,
      PRICES.workerRequest,
    ),
    line(
      "Durable Object requests (subject objects, alarms included; hub)",
      c.subjectRequests + c.otherObjectRequests,
      PRICES.objectRequest,
    ),
    // Upper bound: every object touched active for the whole run (none is idle that long here).
    line(
      "Durable Object duration, GB-s (upper bound: objects × run time × 128 MB)",
      (c.objectsTouched + 2) * run.seconds * 0.125,
      PRICES.objectGbSecond,
    ),
    line(
      "SQLite rows written (setAlarm calls included)",
      c.sqlRowsWritten + c.setAlarms,
      PRICES.objectRowWritten,
    ),
    ...(run.removal
      ? []
      : [
          line(
            "SQLite rows written by removal after 7 days (measured in the API key's run)",
            removalPerTask * run.tasks,
            PRICES.objectRowWritten,
          ),
        ]),
    line("SQLite rows read", c.sqlRowsRead, PRICES.objectRowRead),
    line(
      "D1 rows written (feed, and the consumer's idempotency marks)",
      c.d1RowsWritten,
      PRICES.d1RowWritten,
    ),
    line("D1 rows read", c.d1RowsRead, PRICES.d1RowRead),
    line(
      "Queue operations (write + read + delete each message; a redelivery reads again)",
      2 * c.messagesWritten + c.messagesRead,
      PRICES.queueOperation,
    ),
  ];
}

/** What 1,000 messages cost on Cloudflare Queues alone (three operations each) and on QStash. */
export function referenceCosts(): { queuesAlone: number; qstash: number } {
  return {
    queuesAlone: costOf(PRICES.queueOperation, 3 * 1000),
    qstash: costOf(PRICES.qstashMessage, 1000),
  };
}

async function usage(url: string, key: string): Promise<Usage> {
  const response = await fetch(`${url}/v1/dev/usage`, { headers: { authorization: `Bearer ${key}` } });
  if (!response.ok) throw new Error(`usage: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as Partial<Usage>;
  if (!body.meters) throw new Error("usage: no meters (start the edge with --var METERED:1)");
  return body as Usage;
}

function diff(after: Record<string, Tally>, before: Record<string, Tally>): Record<string, Tally> {
  const out: Record<string, Tally> = {};
  for (const [query, t] of Object.entries(after)) {
    const b = before[query] ?? { calls: 0, rowsRead: 0, rowsWritten: 0 };
    if (t.calls === b.calls) continue;
    out[query] = {
      calls: t.calls - b.calls,
      rowsRead: t.rowsRead - b.rowsRead,
      rowsWritten: t.rowsWritten - b.rowsWritten,
    };
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
