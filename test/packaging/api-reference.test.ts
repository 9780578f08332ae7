import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { repoRoot } from "../conditions.ts";

const run = promisify(execFile);

/**
 * `npm run docs` generates the API reference from the TSDoc (TypeDoc, tools/typedoc). It is
 * not committed; this keeps it buildable: every public export documented, every `{@link}`
 * resolving, warnings counted as errors.
 */
it("generates the API reference with no warning", async () => {
  const out = await mkdtemp(path.join(tmpdir(), "errand-api-reference-"));
  try {
    const tool = path.join(repoRoot, "tools/typedoc");
    await run(path.join(tool, "node_modules/.bin/typedoc"), ["--out", out], { cwd: tool }).catch(
      (error: { stdout?: string; stderr?: string }) => {
        throw new Error(`TypeDoc failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
      },
    );
    expect((await readdir(path.join(out, "@errand"))).sort()).toEqual(["client", "core", "edge", "react"]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
