import { defineProject } from "vitest/config";
import { repoRoot, sourceConditions } from "./conditions.ts";

/** Pure logic: no DOM, no Workers runtime. Runs in Node. */
export default defineProject({
  root: repoRoot,
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    name: "node",
    // Liveness bounds, not speed: the host pauses this VM whole for seconds at a time.
    testTimeout: 30_000,
    expect: { poll: { timeout: 20_000 } },
    environment: "node",
    // Pure functions and fakes with no global state left behind (fake timers are restored in
    // afterEach), so the files share one module graph: vitest had evaluated the shared modules
    // once per file, about a third of this project's time.
    isolate: false,
    include: [
      "packages/*/src/**/*.test.ts",
      "workers/src/**/*.test.ts",
      "demo/src/**/*.test.ts",
      "scripts/**/*.test.ts",
    ],
    exclude: ["**/*.browser.test.ts", "**/*.workerd.test.ts", "**/node_modules/**"],
  },
});
