import { fileURLToPath } from "node:url";

/** The repository root: every project's include patterns are relative to it. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Workspace packages export `src/` under this condition, so tests, the demo and wrangler
 * run the TypeScript sources without a build step.
 */
export const sourceConditions = [
  "@errand/source",
  "module",
  "browser",
  "development|production",
  "import",
  "default",
];
