import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { repoRoot, sourceConditions } from "./conditions.ts";

const migrations = await readD1Migrations(path.join(repoRoot, "workers/migrations"));

/**
 * Edge code inside workerd, with miniflare's real Queues, D1 and Durable Objects, configured
 * from the top-level wrangler.toml's `test` environment.
 */
export default defineProject({
  root: repoRoot,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(repoRoot, "wrangler.toml"), environment: "test" },
      miniflare: { bindings: { TEST_MIGRATIONS: migrations } },
    }),
  ],
  resolve: { conditions: sourceConditions },
  test: {
    name: "workerd",
    include: ["workers/**/*.workerd.test.ts", "packages/edge/src/**/*.workerd.test.ts"],
    setupFiles: ["workers/test/apply-migrations.ts"],
  },
});
