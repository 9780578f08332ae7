import { mkdirSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { defineProject } from "vitest/config";
import { repoRoot, sourceConditions } from "./conditions.ts";

const migrations = await readD1Migrations(path.join(repoRoot, "workers/migrations"));

// The example consumer runs as a second Worker. Auxiliary Workers are not transformed by
// Vite, so it is bundled here first (its workspace imports resolve to their sources).
const consumerOut = path.join(repoRoot, "node_modules/.cache/errand/example-consumer.mjs");
mkdirSync(path.dirname(consumerOut), { recursive: true });
buildSync({
  entryPoints: [path.join(repoRoot, "workers/src/example-consumer/index.ts")],
  outfile: consumerOut,
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2023",
  conditions: sourceConditions,
  logLevel: "error",
});

/** The name the plugin gives the Worker under test (its runner). */
const RUNNER = "vitest-plugin-runner-workerd";

/**
 * Edge code inside workerd, with miniflare's real Queues, D1 and Durable Objects, configured
 * from the top-level wrangler.toml's `test` environment, plus the example consumer Worker
 * (consuming `errand-delivery`, calling the API's `ConsumerApi` over a service binding). The
 * API's outbound fetches (webhooks) go to the example consumer, which serves the receiver.
 */
export default defineProject({
  root: repoRoot,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(repoRoot, "wrangler.toml"), environment: "test" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: migrations },
        serviceBindings: { EXAMPLE_CONSUMER: "errand-example-consumer" },
        outboundService: "errand-example-consumer",
        workers: [
          {
            name: "errand-example-consumer",
            modules: true,
            scriptPath: consumerOut,
            compatibilityDate: "2026-11-01",
            d1Databases: { DB: "errand-example-test" },
            serviceBindings: { ERRAND: { name: RUNNER, entrypoint: "ConsumerApi" } },
            queueConsumers: {
              "errand-delivery": {
                maxBatchSize: 100,
                maxBatchTimeout: 0,
                maxRetries: 100,
                deadLetterQueue: "errand-dead-letters",
              },
            },
          },
        ],
      },
    }),
  ],
  resolve: { conditions: sourceConditions },
  test: {
    name: "workerd",
    include: ["workers/**/*.workerd.test.ts", "packages/edge/src/**/*.workerd.test.ts"],
    setupFiles: ["workers/test/apply-migrations.ts"],
    testTimeout: 60_000,
    // One workerd (one Miniflare) for all files, not one per file: starting one took 70-100 s
    // per file in a paused hour, and one start passed vitest's fixed 90 s limit, so that file
    // never ran. The files share D1, queues and Durable Objects, so each makes its own tenant
    // and counts only what it made.
    isolate: false,
  },
});
