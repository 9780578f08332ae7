import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["test/vitest.node.config.ts", "test/vitest.workerd.config.ts"],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
