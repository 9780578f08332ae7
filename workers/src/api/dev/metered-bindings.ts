/**
 * Dev/test only (METERED=1): bindings and object state that count into the isolate's meters
 * (meters.ts) and otherwise behave as the ones they wrap. Proxies, so that what they wrap keeps
 * every method the code under measure might call.
 */
import { liveMeters, type Tally, tally } from "./meters.ts";

/** The env with its D1, queue producers and hub namespace counted. */
export function meteredEnv(env: Env): Env {
  const meters = liveMeters();
  return {
    ...env,
    DB: meteredD1(env.DB, meters.d1),
    DELIVERY_QUEUE: meteredQueue(env.DELIVERY_QUEUE, "DELIVERY_QUEUE"),
    WEBHOOK_QUEUE: meteredQueue(env.WEBHOOK_QUEUE, "WEBHOOK_QUEUE"),
    DEAD_LETTER_QUEUE: meteredQueue(env.DEAD_LETTER_QUEUE, "DEAD_LETTER_QUEUE"),
    HUB: countedNamespace(env.HUB, "Hub"),
  };
}

/**
 * Counts a subject object's SQL cursors, `setAlarm` and `deleteAll` calls, by replacing those
 * methods on its storage (the object's base class takes only the runtime's own state object, so
 * it cannot be wrapped). A cursor is read in a microtask after its statement: the objects read
 * every cursor to its end in the synchronous code that runs it, so its counts are final by then.
 */
export function meterStorage(storage: DurableObjectStorage): void {
  if (meteredStorages.has(storage)) return;
  meteredStorages.add(storage);
  const meters = liveMeters();
  const { sql } = storage;
  const exec = sql.exec.bind(sql);
  const setAlarm = storage.setAlarm.bind(storage);
  const deleteAll = storage.deleteAll.bind(storage);
  Object.assign(sql, {
    exec: <T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]) => {
      const cursor = exec<T>(query, ...bindings);
      queueMicrotask(() => tally(meters.subjectSql, query, cursor.rowsRead, cursor.rowsWritten));
      return cursor;
    },
  });
  Object.assign(storage, {
    setAlarm: (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
      meters.subjectStorage.setAlarm++;
      return setAlarm(...args);
    },
    deleteAll: (...args: Parameters<DurableObjectStorage["deleteAll"]>) => {
      meters.subjectStorage.deleteAll++;
      return deleteAll(...args);
    },
  });
}

const meteredStorages = new WeakSet<DurableObjectStorage>();

/** A D1 binding whose statements count into `into`, with the rows their `meta` reports. */
export function meteredD1(db: D1Database, into: Record<string, Tally>): D1Database {
  const real = new WeakMap<D1PreparedStatement, { inner: D1PreparedStatement; query: string }>();
  const record = <R extends D1Result>(query: string, result: R): R => {
    tally(into, query, result.meta.rows_read ?? 0, result.meta.rows_written ?? 0);
    return result;
  };
  const statement = (query: string, inner: D1PreparedStatement): D1PreparedStatement => {
    const outer = wrap(inner, {
      bind:
        (target) =>
        (...values: unknown[]) =>
          statement(query, target.bind(...values)),
      run: (target) => async () => record(query, await target.run()),
      all: (target) => async () => record(query, await target.all()),
      // `first` reports no meta: read every row as `all`, as D1 itself does, and keep the first.
      first: (target) => async (column?: string) => {
        const [row] = record(query, await target.all<Record<string, unknown>>()).results;
        if (row === undefined) return null;
        return column === undefined ? row : (row[column] ?? null);
      },
    });
    real.set(outer, { inner, query });
    return outer;
  };
  return wrap(db, {
    prepare: (target) => (query: string) => statement(query, target.prepare(query)),
    batch:
      (target) =>
      async <T = unknown>(statements: D1PreparedStatement[]) => {
        const results = await target.batch<T>(statements.map((s) => real.get(s)?.inner ?? s));
        results.forEach((result, i) => {
          const s = statements[i];
          record((s && real.get(s)?.query) ?? "(unmetered statement)", result);
        });
        return results;
      },
  });
}

function meteredQueue<T>(queue: Queue<T>, name: string): Queue<T> {
  const meters = liveMeters();
  const count = (n: number) => {
    meters.queueMessages[name] = (meters.queueMessages[name] ?? 0) + n;
  };
  return wrap(queue, {
    send: (target) => (body: T, options?: QueueSendOptions) => {
      count(1);
      return target.send(body, options);
    },
    sendBatch: (target) => (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
      const list = [...messages];
      count(list.length);
      return target.sendBatch(list, options);
    },
  });
}

function countedNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): DurableObjectNamespace<T> {
  const meters = liveMeters();
  return wrap(namespace, {
    get:
      (target) =>
      (...args: Parameters<DurableObjectNamespace<T>["get"]>) => {
        meters.objectCalls[name] = (meters.objectCalls[name] ?? 0) + 1;
        return target.get(...args);
      },
  });
}

/**
 * A proxy of `target` whose listed properties are replaced (each built from the target), and
 * whose other methods run bound to the target, so native objects see their own `this`.
 */
function wrap<T extends object>(target: T, overrides: { [K in keyof T]?: (target: T) => T[K] }): T {
  const built = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const override = (overrides as Record<PropertyKey, ((t: T) => unknown) | undefined>)[property];
      if (override) {
        if (!built.has(property)) built.set(property, override(object));
        return built.get(property);
      }
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}
