import { defineProject } from "vitest/config";
import { repoRoot } from "./conditions.ts";

/**
 * What a user gets from npm: the three packages packed as a release packs them, installed into
 * apps in temporary folders outside the workspace (the registry and the tarballs only), then
 * typechecked, built, and run (Chromium through the real worker pool; `wrangler deploy
 * --dry-run` for the edge consumer). Servers bind 127.0.0.1 on free ports and stop by PID.
 */
export default defineProject({
  root: repoRoot,
  test: {
    name: "packaging",
    environment: "node",
    include: ["test/packaging/**/*.test.ts"],
    globalSetup: ["test/packaging/global-setup.ts"],
    // Liveness bounds: an install, a typecheck and three builds, on a machine that pauses.
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    // A turn of its own after the e2e and browser projects' (Firefox 2, WebKit 3), not beside
    // them on a 2-core machine.
    sequence: { groupOrder: 4 },
  },
});
