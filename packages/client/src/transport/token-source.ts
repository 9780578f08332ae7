/**
 * Client tokens for the edge, from the app's same-origin `tokenUrl` (so a service worker can
 * refresh one with no page open) or its `getToken()` function; never an API key. A token is
 * cached until shortly before it expires; concurrent callers share one fetch.
 *
 * The outbox is partitioned by subject, so the source must know whose token it has: the
 * endpoint (or `getToken`) may say so in `subject`; otherwise it is read from the claims of an
 * Errand edge token (`et1.<base64url JSON>.<signature>`, claim `s`).
 */

import { ErrandError, isErrandError } from "@errand/core";
import { type RequestLimits, withDeadline } from "../utils/deadline.ts";

/** A token and what the client needs to know about it. */
export interface EdgeToken {
  readonly token: string;
  /** Unix ms. */
  readonly expiresAt: number;
  readonly subject: string;
}

/** What `tokenUrl` answers or `getToken()` returns: the contract's `TokenResponse`, maybe with `subject`. */
export interface TokenGrant {
  readonly token: string;
  /** ISO 8601 (as on the wire) or Unix ms. */
  readonly expiresAt: string | number;
  readonly subject?: string;
}

/** Where tokens come from. */
export type TokenOrigin =
  | { readonly tokenUrl: string | URL; readonly getToken?: undefined }
  | { readonly getToken: () => Promise<TokenGrant>; readonly tokenUrl?: undefined };

/** Options of {@link createTokenSource}. */
export type TokenSourceOptions = TokenOrigin &
  RequestLimits & {
    /** Refresh this long before expiry; 30 s by default. */
    readonly refreshMarginMs?: number;
    readonly fetch?: typeof fetch;
    readonly now?: () => number;
  };

/** Hands out tokens. */
export interface TokenSource {
  /** A token valid for at least the refresh margin, cached or fresh. */
  get(): Promise<EdgeToken>;
  /** A fresh token, whatever the cache holds (after a `401`). */
  refresh(): Promise<EdgeToken>;
  /** The cached token while it is valid for the refresh margin, without asking for one. */
  peek(): EdgeToken | undefined;
  /** Forgets the cached token (sign-out). */
  clear(): void;
}

/**
 * A token source over a `tokenUrl` (fetched with `POST`, same-origin credentials) or a
 * `getToken` function.
 *
 * @throws {ErrandError} from `get`/`refresh`: `token_unavailable` (network failure or a 5xx,
 *   retryable), `token_refused` (the endpoint answered 4xx: signed out, not retryable) or
 *   `invalid_token_response`.
 * @example
 * ```ts
 * const tokens = createTokenSource({ tokenUrl: "/api/errand-token" });
 * const { token, subject } = await tokens.get();
 * ```
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const margin = options.refreshMarginMs ?? 30_000;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let cached: EdgeToken | undefined;
  let inFlight: Promise<EdgeToken> | undefined;
  let generation = 0;

  const load = (): Promise<TokenGrant> =>
    withDeadline(options, (signal) => ask(signal)).catch((cause: unknown) => {
      if (isErrandError(cause)) throw cause;
      throw new ErrandError("token_unavailable", "The token endpoint could not be reached", { cause });
    });

  const ask = async (signal: AbortSignal): Promise<TokenGrant> => {
    if (options.getToken !== undefined) return options.getToken();
    const response = await doFetch(String(options.tokenUrl), {
      method: "POST",
      credentials: "same-origin",
      headers: { accept: "application/json" },
      signal,
    });
    if (!response.ok) {
      const refused = response.status >= 400 && response.status < 500 && response.status !== 429;
      throw new ErrandError(
        refused ? "token_refused" : "token_unavailable",
        `The token endpoint answered ${response.status}`,
        { retryable: !refused, details: { status: response.status } },
      );
    }
    return (await response.json().catch(() => null)) as TokenGrant;
  };

  const fetchFresh = (): Promise<EdgeToken> => {
    if (inFlight !== undefined) return inFlight;
    const mine = generation;
    inFlight = load()
      .then((grant) => {
        const token = readGrant(grant);
        if (mine === generation) cached = token;
        return token;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const valid = () => (cached !== undefined && cached.expiresAt - margin > now() ? cached : undefined);

  return {
    get: () => {
      const token = valid();
      return token === undefined ? fetchFresh() : Promise.resolve(token);
    },
    peek: valid,
    refresh: () => {
      cached = undefined;
      return fetchFresh();
    },
    clear: () => {
      cached = undefined;
      generation += 1;
    },
  };
}

/**
 * The subject in an Errand edge token's claims, or undefined for any other format.
 *
 * @example
 * ```ts
 * subjectOfToken("et1.eyJzIjoiYWRhIn0.sig") // "ada"
 * ```
 */
export function subjectOfToken(token: string): string | undefined {
  const [prefix, body] = token.split(".");
  if (prefix !== "et1" || body === undefined) return undefined;
  try {
    const json = atob(body.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { s?: unknown };
    return typeof claims.s === "string" ? claims.s : undefined;
  } catch {
    return undefined;
  }
}

function readGrant(grant: TokenGrant | null | undefined): EdgeToken {
  const bad = (why: string) =>
    new ErrandError("invalid_token_response", `The token endpoint's answer ${why}`, { retryable: false });
  if (typeof grant !== "object" || grant === null || typeof grant.token !== "string" || grant.token === "")
    throw bad("has no token");
  const expiresAt =
    typeof grant.expiresAt === "number" ? grant.expiresAt : Date.parse(String(grant.expiresAt));
  if (!Number.isFinite(expiresAt)) throw bad("has no valid expiresAt");
  const subject = grant.subject ?? subjectOfToken(grant.token);
  if (typeof subject !== "string" || subject === "") throw bad("names no subject (add `subject`)");
  return { token: grant.token, expiresAt, subject };
}
