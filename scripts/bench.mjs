// `npm run bench`: runs every benchmark in bench/ (or those named on the command line), one
// after another so they do not compete for this machine's two cores. Each benchmark measures
// its own baseline in the same run and prints ratios against it.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ensureBrowser } from "./browsers.mjs";
import { repoRoot } from "./servers.mjs";

const dir = path.join(repoRoot, "bench");
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.includes(w)))
  .sort();

if (files.length === 0) {
  console.error(`No benchmark matches ${wanted.join(", ") || "bench/*.bench.ts"}.`);
  process.exit(1);
}

// The browser benchmarks drive Chromium: find it, or get it as `npm test` does.
/** @param {string} file */
const drivesBrowser = (file) => readFileSync(path.join(dir, file), "utf8").includes("browser-harness");
if (files.some(drivesBrowser) && !ensureBrowser("chromium")) process.exit(1);

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings", path.join(dir, file)],
    {
      cwd: repoRoot,
      stdio: "inherit",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
  );
  if (result.status !== 0) {
    failed += 1;
    console.error(`${file} failed (exit ${result.status ?? result.signal}).`);
  }
}
process.exit(failed === 0 ? 0 : 1);
