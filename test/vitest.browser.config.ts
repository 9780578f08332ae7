import { playwright } from "@vitest/browser-playwright";
import { defineProject } from "vitest/config";
import { chromiumArgs, chromiumExecutable } from "./chromium.ts";
import { repoRoot, sourceConditions } from "./conditions.ts";

/** IndexedDB, module Web Workers, Web Locks and BroadcastChannel in real Chromium. */
export default defineProject({
  root: repoRoot,
  resolve: { conditions: sourceConditions },
  optimizeDeps: { include: ["comlink", "idb"] },
  test: {
    name: "browser",
    // Liveness bounds, not speed: the host pauses this VM whole for seconds at a time, and in a
    // bad hour for most of the wall clock, so these are the only limits; tests set none smaller.
    // A passing run is no slower for them. A CI run took 318 s for the 1,000-task pool test,
    // which takes about 1 s here when the host does not pause the VM.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    expect: { poll: { timeout: 60_000 } },
    include: [
      "packages/*/src/**/*.browser.test.ts",
      "packages/*/test/**/*.browser.test.ts",
      "demo/src/**/*.browser.test.ts",
    ],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: { executablePath: chromiumExecutable(), args: chromiumArgs },
      }),
      instances: [{ browser: "chromium" }],
      screenshotFailures: false,
      // The page's first connection to vitest: 60 s by default, which a CI run in a heavily
      // paused hour missed, so none of this project's files ran.
      connectTimeout: 300_000,
    },
  },
});
