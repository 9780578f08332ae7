// `prepack` of each published package (run by `npm pack` and `npm publish` in the package's
// folder): a fresh `dist/` from a clean build, so a tarball never carries output of files that
// no longer exist, nor misses a build that never ran (a clean clone has no `dist/`).
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
// `tsc` comes from the workspace root's node_modules/.bin, which npm puts on PATH for scripts.
execFileSync("tsc", ["-b"], { stdio: "inherit", shell: process.platform === "win32" });
