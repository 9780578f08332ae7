/**
 * The few Cloudflare Workers shapes `@errand/edge` uses, stated structurally (as comlink states
 * its `Endpoint`), so the package's types need no runtime type file. The runtime's own types
 * (from `wrangler types`, or `@cloudflare/workers-types`) fit them as they are: a `D1Database`
 * is a {@link D1Like}, a `MessageBatch` a {@link QueueBatch}, a service binding (`Service`,
 * `Fetcher`) a {@link ServiceBinding}. Types only.
 */

/** A prepared D1 statement: `db.prepare(sql).bind(...)`. */
export interface D1Statement {
  bind(...values: unknown[]): D1Statement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  run(): Promise<unknown>;
}

/** A D1 database binding: what `defineConsumer` writes its marks and your writes through. */
export interface D1Like {
  prepare(query: string): D1Statement;
  batch(statements: D1Statement[]): Promise<unknown[]>;
}

/** One message of a queue batch. */
export interface QueueMessage<Body = unknown> {
  readonly id: string;
  readonly body: Body;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A batch of queue messages, as a Worker's `queue` handler receives it. */
export interface QueueBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
}

/**
 * A service binding, as `wrangler types` declares one (`Service`, which is a `Fetcher`): its RPC
 * methods are not in the generated type, so Errand takes any binding and calls the API's
 * `ConsumerApi` methods on it.
 */
export interface ServiceBinding {
  fetch(...args: never[]): unknown;
}
