/**
 * Errors as sentences a person can act on: what happened and what to do, never a stack trace.
 * Pure: it reads an error's stable `code` (Errand's errors keep it across workers, tabs and the
 * wire), not its message, to choose the advice.
 */

/** Where the page's edge is, for advice that names it. */
export interface ProblemContext {
  readonly edgeUrl: string;
}

/**
 * The message the page shows for `error`.
 *
 * @example
 * ```ts
 * describeProblem(new StorageError("quota_exceeded", "…"), { edgeUrl }) // "This browser has no room left…"
 * ```
 */
export function describeProblem(error: unknown, { edgeUrl }: ProblemContext): string {
  const code = codeOf(error);
  const detail = messageOf(error);
  switch (code) {
    case "quota_exceeded":
      return (
        "This browser has no room left to store tasks for this page (storage quota exceeded). " +
        "Purge dead letters and finished tasks, or free disk space, then try again."
      );
    case "upgrade_blocked":
    case "db_closed":
      return `The task database is not available (${detail}). Close other tabs of this demo and reload the page.`;
    case "storage_error":
      return `The browser's storage failed (${detail}). Reload the page; if it keeps failing, clear this site's data.`;
    case "token_unavailable":
    case "signed_out":
      return (
        `The edge at ${edgeUrl} is not answering, so this page has no token to publish with yet. ` +
        "Start it with `npm start` (it runs wrangler dev), then try again."
      );
    case "token_refused":
      return `The edge at ${edgeUrl} refused to give this page a token. Restart \`npm start\` and reload.`;
    case "invalid_input":
      return `Not queued: ${detail}`;
    case "no_edge":
      return "This page runs without an edge. Start `npm start` and reload to publish edge tasks.";
    default:
      if (error instanceof TypeError && /fetch|network/i.test(detail))
        return `The edge at ${edgeUrl} is not answering. Is \`npm start\` running? It starts wrangler dev.`;
      return `Something went wrong: ${detail}. Reload the page to try again.`;
  }
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** The first line of the message only: a stack or a multi-line dump is not for a person. */
function messageOf(error: unknown): string {
  const text =
    typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error);
  return (text.split("\n")[0] ?? "").trim() || "unknown error";
}
