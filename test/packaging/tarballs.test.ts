import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { repoRoot } from "../conditions.ts";

const run = promisify(execFile);
const bin = (name: string) => `${repoRoot}node_modules/.bin/${name}`;

/** The files in a tarball, and its package.json. */
async function contents(tarball: string): Promise<{ files: string[]; manifest: Record<string, unknown> }> {
  const { stdout } = await run("tar", ["-tzf", tarball]);
  const files = stdout
    .trim()
    .split("\n")
    .map((line) => line.replace(/^package\//, ""));
  const { stdout: json } = await run("tar", ["-xzOf", tarball, "package/package.json"]);
  return { files, manifest: JSON.parse(json) as Record<string, unknown> };
}

describe.each(["@errand/core", "@errand/client", "@errand/edge"] as const)("the %s tarball", (name) => {
  const tarball = () => inject("tarballs")[name];

  it("passes publint, warnings counted as errors", async () => {
    await run(bin("publint"), ["run", "--strict", tarball()]);
  });

  it("passes are-the-types-wrong for an ESM-only package", async () => {
    await run(bin("attw"), ["--profile", "esm-only", tarball()]);
  });

  it("ships the build, the sources without tests, README, LICENSE and CHANGELOG, and nothing else", async () => {
    const { files } = await contents(tarball());
    expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "CHANGELOG.md", "dist/index.js"]));
    expect(files).toContain("dist/index.d.ts");
    const unexpected = files.filter(
      (file) =>
        !/^(dist|src)\//.test(file) &&
        !["README.md", "LICENSE", "CHANGELOG.md", "package.json"].includes(file),
    );
    expect(unexpected).toEqual([]);
    expect(
      files.filter(
        (file) => /\.test\.ts$|\/fixtures\/|tsbuildinfo|\.d\.ts$/.test(file) && !file.startsWith("dist/"),
      ),
    ).toEqual([]);
  });

  it("publishes publicly, and takes @errand/core as a range", async () => {
    const { manifest } = await contents(tarball());
    expect(manifest.publishConfig).toEqual({ access: "public" });
    const core = (manifest.dependencies as Record<string, string>)["@errand/core"];
    if (name !== "@errand/core") expect(core).toMatch(/^\^/);
    for (const field of ["repository", "homepage", "bugs", "keywords", "engines", "license"]) {
      expect(manifest[field], field).toBeDefined();
    }
  });
});

describe("the @errand/client types", () => {
  it("show the runtime as its interface: no internal member, no constructor, no class", async () => {
    const read = async (file: string) =>
      (await run("tar", ["-xzOf", inject("tarballs")["@errand/client"], `package/dist/${file}`])).stdout;
    const types = await read("runtime/errand.d.ts");
    expect(await read("index.d.ts")).not.toContain("runtime/runtime.ts");
    expect(await read("runtime/create-errand.d.ts")).not.toContain("./runtime.ts");
    for (const internal of [
      "attach",
      "attachEdge",
      "emitSync",
      "slots",
      "takeTransfer",
      "policyOf",
      "constructor",
    ]) {
      expect(types).not.toMatch(new RegExp(`^\\s+${internal}\\(`, "m"));
    }
    expect(types).toMatch(/^\s+enqueue</m);
  });
});
