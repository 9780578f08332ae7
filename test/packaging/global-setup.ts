import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { repoRoot } from "../conditions.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The packed tarballs, by package name, as `npm pack` made them from this checkout. */
    tarballs: Record<"@errand/core" | "@errand/client" | "@errand/edge", string>;
  }
}

const PACKAGES = ["packages/core", "packages/client", "packages/edge"];

/**
 * Packs the three packages once for the project's files, exactly as a release would (`npm pack`
 * runs each package's `prepack`, a clean build), into a folder outside the workspace.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = await mkdtemp(path.join(tmpdir(), "errand-tarballs-"));
  const json = execFileSync(
    "npm",
    ["pack", "--json", "--pack-destination", out, ...PACKAGES.flatMap((p) => ["--workspace", p])],
    { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  // prepack's build output goes to stdout before npm's JSON; the JSON is the last array printed.
  const packed = JSON.parse(json.slice(json.lastIndexOf("\n[") + 1)) as { name: string; filename: string }[];
  const tarballs = Object.fromEntries(packed.map((p) => [p.name, path.join(out, p.filename)]));
  project.provide("tarballs", tarballs as ProvidedContext["tarballs"]);
  return () => rm(out, { recursive: true, force: true });
}

type ProvidedContext = import("vitest").ProvidedContext;
