/**
 * What the contexts of one database (tabs, dedicated workers, the service worker's drain) tell
 * each other over the tab bus: the protocol of one BroadcastChannel, type-only, as the worker
 * protocol is. The runtime and the edge sync both speak it; each reads the messages that are
 * its own.
 */

/** One message between contexts. */
export type TabMessage =
  /** A task changed in another context: its event, with its detail (the error as data). */
  | { readonly kind: "event"; readonly type: string; readonly detail: TabEventDetail }
  /** Tasks were purged: whoever waits for one reads it again. */
  | { readonly kind: "purged" }
  /** The outbox has new work: the tab that pushes for the origin looks at once. */
  | { readonly kind: "wake" }
  /** Queued request `id` changed: whoever waits for its response reads it again. */
  | { readonly kind: "request"; readonly id: string }
  /** The subject signed out: every context forgets its token. */
  | { readonly kind: "signed-out" };

/** The part of an event's detail the bus and its readers route by. */
export interface TabEventDetail {
  readonly id: string;
  /** Whose event it is: the runtime's (local tasks) or the edge sync's. */
  readonly where?: "local" | "edge";
}

/** What goes over the channel: the messages of one flush, in order. */
export interface TabBatch {
  readonly kind: "batch";
  readonly messages: readonly TabMessage[];
}
