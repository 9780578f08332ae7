import type { StatsResponse } from "@errand/core/wire";

/**
 * The page's link to the edge: its URL, a client token from the `dev` environment's token
 * endpoint (the page never holds a key), and the dev-only routes the demo reads.
 */
export interface EdgeLink {
  readonly url: string;
  /** A client token for the seeded `dev` tenant (`POST /v1/dev/token`). */
  token(): Promise<{ token: string; expiresAt: string | number; subject?: string }>;
}

/**
 * The edge's URL: `?edge=<http(s) URL>` on the page's address when given (to point the demo at
 * another edge, or at none to see what a person sees when it is down), else the build's.
 */
export function edgeUrlOf(search: string, fallback: string): string {
  const asked = new URLSearchParams(search).get("edge");
  if (asked === null) return fallback;
  try {
    const url = new URL(asked);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : fallback;
  } catch {
    return fallback;
  }
}

/** A link to the edge at `url`; tokens are reused until a minute before they expire. */
export function edgeLink(url: string): EdgeLink {
  let cached: { token: string; expiresAt: string | number } | undefined;
  const fresh = () =>
    cached !== undefined && new Date(cached.expiresAt).getTime() - Date.now() > 60_000 ? cached : undefined;
  return {
    url,
    async token() {
      const reuse = fresh();
      if (reuse) return reuse;
      const response = await fetch(new URL("/v1/dev/token", url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`The edge's token endpoint answered ${response.status}`);
      cached = (await response.json()) as { token: string; expiresAt: string | number };
      return cached;
    },
  };
}

/** What `GET /v1/dev/stats` answers: the dev tenant's `/v1/stats`, its retries and the time. */
export interface EdgeStats extends StatsResponse {
  readonly at: number;
  readonly retries: number;
}

/** Reads the dev tenant's edge stats. */
export async function readEdgeStats(url: string): Promise<EdgeStats> {
  const response = await fetch(new URL("/v1/dev/stats", url), { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /v1/dev/stats answered ${response.status}`);
  return response.json();
}
