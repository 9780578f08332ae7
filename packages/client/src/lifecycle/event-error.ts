/**
 * Errors in event details: built and sent to other contexts as data, rebuilt as their class in
 * each context before its listeners hear of them, so an app's error class registered with
 * `registerError` arrives in events as itself, in this tab and in the others.
 */

import { deserializeError, type RebuiltError, type SerializedError } from "@errand/core";

/**
 * An event's detail as it is built and sent to other contexts: its error as data, which each
 * context rebuilds with {@link withRebuiltError} before its listeners hear of it.
 */
export type DetailData<D extends { readonly error?: RebuiltError }> = Omit<D, "error"> & {
  readonly error?: SerializedError;
};

/** `data` with its error rebuilt as its class, through the error registry. */
export function withRebuiltError<D extends { readonly error?: RebuiltError }>(data: DetailData<D>): D {
  if (data.error === undefined) return data as D;
  return { ...data, error: deserializeError(data.error) } as unknown as D;
}
