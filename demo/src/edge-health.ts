/** What the page shows about the edge: up or down, and a sentence a person can act on. */
export type EdgeHealth = { up: true; message: string } | { up: false; message: string };

/** Calls the edge's `/v1/health` route and turns the outcome into words. */
export async function checkEdge(edgeUrl: string, timeoutMs = 3000): Promise<EdgeHealth> {
  try {
    const response = await fetch(new URL("/v1/health", edgeUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { up: false, message: `The edge at ${edgeUrl} answered ${response.status}.` };
    const body = (await response.json()) as { env?: string };
    return { up: true, message: `workerd at ${edgeUrl} (${body.env ?? "unknown"} environment)` };
  } catch {
    return {
      up: false,
      message: `The edge at ${edgeUrl} is not answering. Is \`npm start\` running? It starts wrangler dev.`,
    };
  }
}
