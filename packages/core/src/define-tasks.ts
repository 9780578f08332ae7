/**
 * One typed map of task types, shared by the code that enqueues, the Web Worker handlers and the
 * edge consumers, so all three agree on each type's payload, result and version.
 */

import { ValidationError, type ValidationIssue, VersionUnsupportedError } from "./errors.ts";
import { describeIssues } from "./issues.ts";
import { preview } from "./preview.ts";

/** Key of the type-only member that carries a definition's payload and result types. */
declare const types: unique symbol;

/**
 * Turns a payload written by an older handler version into the current one's payload.
 * Called once per stored task, with the version the task was written for.
 */
export type Upgrade<P> = (old: unknown, fromVersion: number) => P;

/** One task type: its handler version and how older payloads upgrade; `P` and `R` are type-only. */
export interface TaskDef<P = unknown, R = unknown> {
  /** The handler's version, an integer ≥ 1; every task records the version it was written for. */
  readonly version: number;
  readonly upgrade?: Upgrade<P>;
  /** Never present at runtime: it only carries the payload and result types. */
  readonly [types]?: { readonly payload: P; readonly result: R };
}

/** A map from task type name to its definition. */
export type TaskMap = { readonly [type: string]: TaskDef };

/** The task type names of a map. */
export type TaskType<M extends TaskMap> = Extract<keyof M, string>;

/** The payload type of task type `K`. */
export type PayloadOf<M extends TaskMap, K extends TaskType<M>> =
  M[K] extends TaskDef<infer P, unknown> ? P : never;

/** The result type of task type `K`. */
export type ResultOf<M extends TaskMap, K extends TaskType<M>> =
  M[K] extends TaskDef<unknown, infer R> ? R : never;

/** Options of {@link task}. */
export interface TaskOptions<P> {
  /** The handler's version, an integer ≥ 1; 1 when absent. */
  version?: number;
  /** Required to read tasks written for an older version. */
  upgrade?: Upgrade<P>;
}

/**
 * Defines one task type with payload type `P` and result type `R`.
 *
 * @throws {ValidationError} when `version` is not an integer ≥ 1 or `upgrade` is not a function.
 * @example
 * ```ts
 * const resize = task<{ width: number }, { url: string }>({
 *   version: 2,
 *   upgrade: (old) => ({ width: (old as { w: number }).w }),
 * });
 * ```
 */
export function task<P, R = void>(options: TaskOptions<P> = {}): TaskDef<P, R> {
  const def =
    options.upgrade === undefined
      ? { version: options.version ?? 1 }
      : { version: options.version ?? 1, upgrade: options.upgrade };
  assertDef(def, undefined);
  return def;
}

/**
 * Declares the task types of an app. Returns `map` itself, checked, with its types intact: pass it
 * to the client runtime, the worker's `expose` and edge consumers alike.
 *
 * @throws {ValidationError} when an entry is not a definition made by {@link task}.
 * @example
 * ```ts
 * export const tasks = defineTasks({
 *   resize: task<{ width: number }, { url: string }>({ version: 2, upgrade: fromV1 }),
 *   hash: task<{ text: string }, string>(),
 * });
 * type ResizePayload = PayloadOf<typeof tasks, "resize">; // { width: number }
 * ```
 */
export function defineTasks<M extends TaskMap>(map: M): M {
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new ValidationError(`defineTasks expects an object of task definitions, got ${preview(map)}`, [
      { path: "", message: "must be an object of task definitions" },
    ]);
  }
  for (const [type, def] of Object.entries(map)) assertDef(def, type);
  return map;
}

/**
 * The payload a handler of `def` can read, from one written for `fromVersion`: as is when the
 * versions match, through `def.upgrade` when it is older.
 *
 * @throws {VersionUnsupportedError} when `fromVersion` is newer than `def.version` (an older
 *   runtime met a newer task), is not a version number, is older with no `upgrade` declared, or
 *   `upgrade` threw (its error is the `cause`). The runtime sends such a task to dead.
 */
export function upgradePayload<P>(def: TaskDef<P, unknown>, payload: unknown, fromVersion: number): P {
  const details = { fromVersion, version: def.version };
  if (fromVersion === def.version) return payload as P;
  if (!Number.isInteger(fromVersion) || fromVersion < 1) {
    throw new VersionUnsupportedError(`The task's version ${preview(fromVersion)} is not a version number`, {
      details,
    });
  }
  if (fromVersion > def.version) {
    throw new VersionUnsupportedError(
      `The task was written for version ${fromVersion}, newer than this handler's version ${def.version}`,
      { details },
    );
  }
  if (def.upgrade === undefined) {
    throw new VersionUnsupportedError(
      `The task was written for version ${fromVersion} and version ${def.version} declares no upgrade`,
      { details },
    );
  }
  try {
    return def.upgrade(payload, fromVersion);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new VersionUnsupportedError(
      `Upgrading the task from version ${fromVersion} to ${def.version} failed: ${reason}`,
      { details, cause },
    );
  }
}

/** Throws unless `def` has an integer `version` ≥ 1 and, if any, a function `upgrade`. */
function assertDef(def: unknown, type: string | undefined): void {
  const at = (field: string) => (type === undefined ? field : `${type}.${field}`);
  const issues: ValidationIssue[] = [];
  if (typeof def !== "object" || def === null) {
    issues.push({ path: type ?? "", message: `must be a task definition, got ${preview(def)}` });
  } else {
    const { version, upgrade } = def as Record<string, unknown>;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
      issues.push({ path: at("version"), message: `must be an integer ≥ 1, got ${preview(version)}` });
    }
    if (upgrade !== undefined && typeof upgrade !== "function") {
      issues.push({ path: at("upgrade"), message: `must be a function, got ${preview(upgrade)}` });
    }
  }
  if (issues.length > 0) {
    const name = type === undefined ? "task definition" : `definition of task type ${JSON.stringify(type)}`;
    throw new ValidationError(`Invalid ${name}: ${describeIssues(issues, "it")}`, issues);
  }
}
