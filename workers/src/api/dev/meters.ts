/**
 * Dev/test only: counts, in this isolate, what Cloudflare bills the edge for, so the benchmark
 * can price a run (`GET /v1/dev/usage` returns the counts). `wrangler dev` runs the API Worker's
 * fetch and queue handlers, its `ConsumerApi` entrypoint and every Durable Object of its classes
 * in one isolate, so module state here sees all of them; production isolates would not.
 *
 * Always on: which object belongs to which tenant, how many deliveries each tenant's objects
 * were told were completed (what the benchmark polls for arrivals: in memory, so a poll costs
 * the pipeline nothing), and calls to the `ConsumerApi` entrypoint. With `--var METERED:1` only (the proxies cost a little on every call):
 * HTTP requests and queue handler invocations, queue messages sent per queue, calls to the rate
 * limiter and hub objects, every D1 statement with its `meta` rows, and every statement a subject
 * object runs with its cursor's rows, its `setAlarm` and `deleteAll` calls.
 */

declare global {
  interface Env {
    /** Dev/test: `--var METERED:1` turns on the meters of workers/src/api/dev/meters.ts. */
    METERED?: string;
  }
}

/** Calls of one statement (or kind of statement) and the rows they read and wrote. */
export interface Tally {
  calls: number;
  rowsRead: number;
  rowsWritten: number;
}

/** What a metered consumer Worker reports (workers/src/bench-floor/metered-consumer.ts). */
export interface ConsumerMeters {
  /** Its queue handler's invocations. */
  invocations: number;
  /** Messages delivered to it, redeliveries included. */
  messages: number;
  /** Every D1 statement it ran on its own database, with the rows its `meta` reports. */
  d1: Record<string, Tally>;
}

/** Everything metered in this isolate since it started (METERED=1). */
export interface Meters {
  /** Invocations of the API Worker: HTTP requests (dev routes left out), queue batches. */
  invocations: { http: number; queueBatches: number };
  /** Calls to the `ConsumerApi` entrypoint, and the deliveries they named. */
  consumerApi: { claims: number; claimed: number; completes: number; completed: number; fails: number };
  /** Messages sent, per producer binding. */
  queueMessages: Record<string, number>;
  /** Calls to Durable Objects other than subject objects (one `get` is one call on these paths). */
  objectCalls: Record<string, number>;
  /** Every D1 statement, by its first words, with the rows its `meta` reports. */
  d1: Record<string, Tally>;
  /** Subject objects' storage calls besides SQL. */
  subjectStorage: { setAlarm: number; deleteAll: number };
  /** Every SQL statement subject objects ran, by its first words, with its cursor's rows. */
  subjectSql: Record<string, Tally>;
  /** What metered consumer Workers reported. */
  consumer: ConsumerMeters;
}

const meters: Meters = {
  invocations: { http: 0, queueBatches: 0 },
  consumerApi: { claims: 0, claimed: 0, completes: 0, completed: 0, fails: 0 },
  queueMessages: {},
  objectCalls: {},
  d1: {},
  subjectStorage: { setAlarm: 0, deleteAll: 0 },
  subjectSql: {},
  consumer: { invocations: 0, messages: 0, d1: {} },
};

const tenantOfObject = new Map<string, string>();
const completedByTenant = new Map<string, number>();

/** Whether this environment runs with the meters on. */
export function metered(env: Env): boolean {
  return env.METERED === "1";
}

/** A snapshot of the meters. */
export function readMeters(): Meters {
  return structuredClone(meters);
}

/** The isolate's meters, to count into (the dev entry's wrappers). */
export function liveMeters(): Meters {
  return meters;
}

/** Records which tenant an object (its id as hex) belongs to. */
export function noteObject(object: string, tenant: string): void {
  tenantOfObject.set(object, tenant);
}

/** Counts deliveries an object was told were completed, for its tenant. */
export function noteCompleted(object: string, count: number): void {
  const tenant = tenantOfObject.get(object);
  if (tenant !== undefined) completedByTenant.set(tenant, (completedByTenant.get(tenant) ?? 0) + count);
}

/** Deliveries of the tenant's objects reported completed since this isolate started. */
export function completedOf(tenant: string): number {
  return completedByTenant.get(tenant) ?? 0;
}

/** The objects of a tenant seen by this isolate (ids as hex). */
export function objectsOf(tenant: string): string[] {
  return [...tenantOfObject].flatMap(([object, owner]) => (owner === tenant ? [object] : []));
}

/** Adds a consumer Worker's report to the meters. */
export function addConsumerMeters(report: ConsumerMeters): void {
  meters.consumer.invocations += report.invocations;
  meters.consumer.messages += report.messages;
  for (const [query, t] of Object.entries(report.d1)) {
    const entry = meters.consumer.d1[query] ?? { calls: 0, rowsRead: 0, rowsWritten: 0 };
    meters.consumer.d1[query] = entry;
    entry.calls += t.calls;
    entry.rowsRead += t.rowsRead;
    entry.rowsWritten += t.rowsWritten;
  }
}

/** Adds one statement's rows to a tally keyed by the statement's first words. */
export function tally(
  into: Record<string, Tally>,
  query: string,
  rowsRead: number,
  rowsWritten: number,
): void {
  const label = query.replace(/\s+/g, " ").trim().slice(0, 72);
  const entry = into[label] ?? { calls: 0, rowsRead: 0, rowsWritten: 0 };
  into[label] = entry;
  entry.calls++;
  entry.rowsRead += rowsRead;
  entry.rowsWritten += rowsWritten;
}
