import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      "test/vitest.node.config.ts",
      "test/vitest.workerd.config.ts",
      "test/vitest.browser.config.ts",
      "test/vitest.e2e.config.ts",
    ],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
