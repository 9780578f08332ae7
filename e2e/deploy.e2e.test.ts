import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { offlineWranglerEnv, repoRoot } from "../scripts/servers.mjs";

/**
 * What `npm run deploy:dry` checks before a `wrangler deploy`: the production configuration
 * (the top-level environment of wrangler.toml) bundles, and nothing of the dev and test
 * environments (seeded keys, dev routes, fault injection, the chaos layer) is in it.
 */
describe("the production configuration", () => {
  it("bundles for wrangler deploy without any dev or test route, seed or fault", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "errand-deploy-"));
    try {
      // The `deploy:dry` script's own command, with the bundle written to a folder of this test's.
      const wrangler = path.join(repoRoot, "node_modules/.bin/wrangler");
      const result = spawnSync(wrangler, ["deploy", "--env=", "--dry-run", "--outdir", outdir], {
        cwd: repoRoot,
        env: { ...process.env, ...offlineWranglerEnv },
        encoding: "utf8",
      });
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.status, output).toBe(0);
      expect(output).toContain('ERRAND_ENV ("production")');
      expect(output).not.toContain("SEED_ADMIN_KEY");
      const bundle = await readFile(path.join(outdir, "index.js"), "utf8");
      for (const devOnly of [
        '"/faults"',
        '"/chaos"',
        '"/tenants"',
        "Local development",
        "errand-local-admin-key",
      ]) {
        expect(bundle, devOnly).not.toContain(devOnly);
      }
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
