/**
 * `@errand/react`: React bindings for an Errand runtime. A provider hands the runtime down;
 * `useTask`, `useTasks` and `useStats` read it through `useSyncExternalStore`, so a component
 * re-renders only when what it shows changed (a row per task re-renders for its own task only);
 * `useEnqueue` adds tasks, typed by the `defineTasks` map.
 *
 * @example
 * ```tsx
 * import { ErrandProvider, useEnqueue, useTask } from "@errand/react";
 *
 * function Row({ id }: { id: string }) {
 *   const task = useTask(id);
 *   return <li>{task?.state ?? "…"}</li>;
 * }
 * ```
 *
 * @module @errand/react
 */

export { type UseStatsOptions, useEnqueue, useStats, useTask, useTasks } from "./hooks.ts";
export { ErrandProvider, type ErrandProviderProps, useErrand } from "./provider.tsx";
export type { TaskSnapshot } from "./task-view.ts";
