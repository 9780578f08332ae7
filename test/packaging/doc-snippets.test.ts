import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../conditions.ts";

const run = promisify(execFile);

/** The Markdown a user reads: the README and the guides (not the generated reference). */
async function documents(): Promise<string[]> {
  const guides = (await readdir(path.join(repoRoot, "docs"))).filter((name) => name.endsWith(".md"));
  return ["README.md", ...guides.map((name) => `docs/${name}`)];
}

interface Block {
  readonly lang: string;
  readonly code: string;
  /** The example file this block shows, from a `<!-- example: path -->` line right above it. */
  readonly example: string | undefined;
  readonly line: number;
}

function blocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)/.exec(lines[i] ?? "");
    if (!open) continue;
    const example = /^<!-- example: (.+) -->$/.exec(lines[i - 1] ?? "")?.[1];
    let end = i + 1;
    while (end < lines.length && !lines[end]?.startsWith("```")) end++;
    found.push({ lang: open[1] ?? "", code: lines.slice(i + 1, end).join("\n"), example, line: i + 1 });
    i = end;
  }
  return found;
}

/**
 * Every TypeScript block of the README and the guides compiles. A block marked as showing an
 * example file must equal that file (the packaging tests install, typecheck and run the
 * examples); every other block is typechecked here as a module of its own, strict, against the
 * workspace packages' sources.
 */
describe.each(await documents())("the code in %s", (doc) => {
  it("shows the example files as they are", async () => {
    const shown = blocks(await readFile(path.join(repoRoot, doc), "utf8")).filter((b) => b.example);
    for (const block of shown) {
      const file = await readFile(path.join(repoRoot, block.example ?? ""), "utf8");
      expect(block.code, `${doc}:${block.line} shows ${block.example} (npm run docs:examples)`).toBe(
        file.trimEnd(),
      );
    }
  });

  it("typechecks every other TypeScript block", async () => {
    const own = blocks(await readFile(path.join(repoRoot, doc), "utf8")).filter(
      (b) => b.lang === "ts" && !b.example,
    );
    if (own.length === 0) return;
    const dir = path.join(repoRoot, "node_modules/.cache/errand-doc-snippets", doc.replace(/[/.]/g, "-"));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const block of own) {
      await writeFile(path.join(dir, `line-${block.line}.ts`), `${block.code}\nexport {};\n`);
    }
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: path.join(repoRoot, "tsconfig.base.json"),
        compilerOptions: {
          lib: ["es2023", "dom", "dom.iterable", "webworker"],
          composite: false,
          declaration: false,
          declarationMap: false,
          noEmit: true,
          rewriteRelativeImportExtensions: false,
          customConditions: ["@errand/source"],
        },
        include: ["*.ts"],
      }),
    );
    const tsc = path.join(repoRoot, "node_modules/.bin/tsc");
    const result = await run(tsc, ["-p", dir]).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result, `TypeScript blocks of ${doc} (files named by their line)`).toBe("");
  });
});
