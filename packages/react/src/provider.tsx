/**
 * The context that hands a runtime to the hooks below it.
 */

import type { Errand } from "@errand/client";
import type { TaskMap } from "@errand/core";
import { createContext, type ReactNode, useContext } from "react";

const ErrandContext = createContext<Errand<TaskMap> | null>(null);

/** The props of {@link ErrandProvider}. */
export interface ErrandProviderProps<M extends TaskMap> {
  /** A runtime from `createErrand`; the provider neither starts nor closes it. */
  readonly errand: Errand<M>;
  readonly children?: ReactNode;
}

/**
 * Makes `errand` the runtime of every Errand hook below it.
 *
 * @example
 * ```tsx
 * const errand = await createErrand({ tasks, worker: () => new Worker(url, { type: "module" }) });
 * createRoot(root).render(
 *   <ErrandProvider errand={errand}>
 *     <App />
 *   </ErrandProvider>,
 * );
 * ```
 */
export function ErrandProvider<M extends TaskMap>({ errand, children }: ErrandProviderProps<M>): ReactNode {
  // The hooks use only methods whose types do not depend on the task map, and `useEnqueue`
  // gives the map back through its type parameter.
  return <ErrandContext value={errand as unknown as Errand<TaskMap>}>{children}</ErrandContext>;
}

/**
 * The runtime of the nearest {@link ErrandProvider}, typed by the task map `M`.
 *
 * @throws {Error} when no provider is above the calling component.
 * @example
 * ```tsx
 * const errand = useErrand<typeof tasks>();
 * const cancel = () => errand.cancel(id);
 * ```
 */
export function useErrand<M extends TaskMap = TaskMap>(): Errand<M> {
  const errand = useContext(ErrandContext);
  if (errand === null) throw new Error("Errand hooks need an <ErrandProvider errand={…}> above them");
  return errand as unknown as Errand<M>;
}
