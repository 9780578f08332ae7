import type { UserConfig } from "vite";
import { sourceConditions } from "./conditions.ts";

/**
 * What every Vite server of this repo shares (the demo and the e2e fixture pages): workspace
 * packages resolved to their sources, the local edge's URL from `ERRAND_EDGE_URL` (set by
 * `npm start` and the e2e setup) as `import.meta.env.VITE_ERRAND_EDGE_URL`, loopback only.
 */
export function sharedViteConfig(root: URL): UserConfig {
  return {
    root: root.pathname,
    resolve: { conditions: sourceConditions },
    define: {
      "import.meta.env.VITE_ERRAND_EDGE_URL": JSON.stringify(
        process.env.ERRAND_EDGE_URL ?? "http://127.0.0.1:8787",
      ),
    },
    server: { host: "127.0.0.1" },
  };
}
