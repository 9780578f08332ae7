import { defineProject } from "vitest/config";
import { repoRoot } from "./conditions.ts";

/**
 * Node drives real browsers against `wrangler dev` and the demo's Vite server, both started on
 * free 127.0.0.1 ports by the global setup: Chromium and Firefox through Playwright, WebKit
 * (WebKitGTK's MiniBrowser) through WebKitWebDriver on an Xvfb display. Pages here reload, go
 * offline and close, which a browser-mode test cannot do to its own page.
 */
export default defineProject({
  root: repoRoot,
  test: {
    name: "e2e",
    environment: "node",
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    // Bounds on liveness, not speed: this machine's host pauses it for most of the wall time in
    // a bad hour (README, Measured), and runs in such hours timed out at 60 s, 30 s, then 180 s.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // A turn of its own, not beside the browser project: on a 2-core machine vitest defaults to
    // one worker, which puts every isolated project in one last group, and there e2e and
    // browser files ran together at load 21 and browser tests missed their bounds.
    sequence: { groupOrder: 1 },
  },
});
