/**
 * The shape of a queued HTTP request (`queueRequest`) as the `requests` object store keeps it:
 * what to send, how it went, and the final response for the caller.
 */

import type { SerializedError } from "@errand/core";

/** Where a queued request is: waiting (to be sent, or for a retry), answered 2xx, or given up. */
export type RequestState = "pending" | "succeeded" | "dead";

/** A response as stored: status, headers and the whole body. */
export interface StoredResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: ArrayBuffer;
}

/** One queued request. */
export interface RequestRecord {
  readonly id: string;
  /** The subject signed in when it was queued: only its token replays it; `signOut()` removes it. */
  readonly subject: string;
  /** Replay order, from the same counter as the outbox. */
  readonly seq: number;
  readonly method: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: ArrayBuffer;
  readonly state: RequestState;
  readonly attempts: number;
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The final response: the 2xx, or the 4xx that made it dead. */
  readonly response?: StoredResponse;
  readonly error?: SerializedError;
  /** When the request reached a final state (Unix ms); the retention sweep removes it after that. */
  readonly finishedAt?: number;
}
