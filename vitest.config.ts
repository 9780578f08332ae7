import { defineConfig } from "vitest/config";
import { browserProjects } from "./test/vitest.browser.config.ts";

// Keep wrangler and miniflare off the network: this machine (and CI) has none.
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

export default defineConfig({
  test: {
    projects: [
      "test/vitest.node.config.ts",
      "test/vitest.workerd.config.ts",
      ...(await browserProjects()),
      "test/vitest.e2e.config.ts",
      "test/vitest.packaging.config.ts",
    ],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
