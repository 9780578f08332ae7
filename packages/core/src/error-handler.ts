/**
 * The shapes of an error crossing a boundary (worker → page, tab → tab, edge → client), type
 * only, as comlink keeps its wire protocol. Anything thrown becomes a {@link SerializedError};
 * an {@link ErrorHandler} per class says how, so the other side rebuilds that class.
 */

/** An error as plain, structured-cloneable and JSON-safe data. */
export interface SerializedError {
  /** The class's name: the name of the handler that serialized it, or the error's own. */
  readonly name: string;
  readonly message: string;
  readonly code: string;
  readonly stack?: string;
  readonly details?: Record<string, unknown>;
  readonly retryable: boolean;
}

/**
 * What a handler's `serialize` returns; the registry adds the handler's name and the error's
 * stack. `code` defaults to the error's own string `code` (else `unexpected_error`), `retryable`
 * to its own boolean `retryable` (else true).
 */
export interface ErrorData {
  readonly message: string;
  readonly code?: string;
  readonly retryable?: boolean;
  /** Whatever the class needs to be rebuilt; structured-cloneable and JSON-safe. */
  readonly details?: Record<string, unknown>;
}

/**
 * How one error class crosses a boundary, in the style of comlink's transfer handlers: Errand's
 * own classes register through this interface, and an app registers its classes the same way
 * with `registerError`, on both sides of the boundary.
 *
 * @example
 * ```ts
 * class PaymentDeclined extends Error {
 *   override name = "PaymentDeclined";
 *   constructor(readonly reason: string) { super(`Payment declined: ${reason}`) }
 * }
 *
 * registerError<PaymentDeclined>({
 *   name: "PaymentDeclined",
 *   canHandle: (value) => value instanceof PaymentDeclined,
 *   serialize: (error) => ({ message: error.message, retryable: false, details: { reason: error.reason } }),
 *   deserialize: (data) => new PaymentDeclined(String(data.details?.reason)),
 * });
 * ```
 */
export interface ErrorHandler<E extends Error = Error> {
  /**
   * The name the serialized error carries, which picks this handler on the other side. Unique:
   * registering a name again replaces the earlier handler.
   */
  readonly name: string;
  /** Whether this handler serializes `value`. Handlers are asked newest first. */
  canHandle(value: unknown): value is E;
  serialize(error: E): ErrorData;
  /** The error back from what `serialize` made of it (the registry restores the stack). */
  deserialize(data: SerializedError): E;
}

/**
 * An error rebuilt on this side of a boundary: its registered class (an `ErrandError` when its
 * name has no handler here), carrying the `code` and `retryable` it crossed with.
 */
export type RebuiltError = Error & {
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
};
