// Published prices the edge benchmark prices its counts at: the marginal (pay-as-you-go) rate of
// each, past the monthly allowances of the Workers Paid plan, in US dollars. Read 2026-12-07 from
// the pages named (Cloudflare's through the sources of developers.cloudflare.com, the
// cloudflare/cloudflare-docs repository). Check them again before quoting a figure.

/** A price per `per` units, and where it was read. */
export interface Price {
  usd: number;
  per: number;
  source: string;
}

const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DURABLE_OBJECTS = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const D1 = "https://developers.cloudflare.com/d1/platform/pricing/";
const QUEUES = "https://developers.cloudflare.com/queues/platform/pricing/";
const QSTASH = "https://upstash.com/pricing/qstash";

/** Where the prices were read, and when. */
export const PRICE_SOURCES = { WORKERS, DURABLE_OBJECTS, D1, QUEUES, QSTASH, read: "2026-12-07" };

export const PRICES = {
  /**
   * Workers Standard: inbound requests. Calls through a service binding are not billed as
   * requests (same page); queue consumer invocations are counted as requests here, to be safe.
   */
  workerRequest: { usd: 0.3, per: 1e6, source: WORKERS },
  /** Workers Standard: CPU time, per millisecond. */
  workerCpuMs: { usd: 0.02, per: 1e6, source: WORKERS },
  /** Durable Objects: requests (every RPC method call on a stub, every alarm invocation). */
  objectRequest: { usd: 0.15, per: 1e6, source: DURABLE_OBJECTS },
  /** Durable Objects: duration while active, billed at 128 MB, per GB-s. */
  objectGbSecond: { usd: 12.5, per: 1e6, source: DURABLE_OBJECTS },
  /** SQLite-backed Durable Objects: rows written (deletes count, each `setAlarm` counts one). */
  objectRowWritten: { usd: 1, per: 1e6, source: DURABLE_OBJECTS },
  objectRowRead: { usd: 0.001, per: 1e6, source: DURABLE_OBJECTS },
  /** D1: rows written (an index adds a row), rows read. */
  d1RowWritten: { usd: 1, per: 1e6, source: D1 },
  d1RowRead: { usd: 0.001, per: 1e6, source: D1 },
  /** Queues: an operation per 64 KB written, read or deleted; a message takes three, a retry one more read. */
  queueOperation: { usd: 0.4, per: 1e6, source: QUEUES },
  /** QStash pay as you go: per message delivered to one endpoint. */
  qstashMessage: { usd: 1, per: 1e5, source: QSTASH },
} satisfies Record<string, Price>;

/** What `count` units cost at `price`. */
export function costOf(price: Price, count: number): number {
  return (price.usd * count) / price.per;
}
