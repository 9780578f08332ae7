import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chromiumArgs, chromiumExecutable } from "../chromium.ts";
import { repoRoot } from "../conditions.ts";
import { appIn, emptyApp, serveStatic, type TempApp } from "./temp-app.ts";

/** Vite's own starter, pinned so that a new template cannot fail this test overnight. */
const CREATE_VITE = "create-vite@9.3.0";

/** The README's code blocks for the quick start, by the file each one shows. */
async function readmeFiles(): Promise<Map<string, string>> {
  const readme = await readFile(path.join(repoRoot, "README.md"), "utf8");
  const files = new Map<string, string>();
  for (const match of readme.matchAll(
    /<!-- example: examples\/browser-app\/(.+) -->\n```\w+\n([\s\S]*?)\n```/g,
  )) {
    files.set(match[1] ?? "", `${match[2]}\n`);
  }
  return files;
}

/**
 * The README followed from an empty folder, as a person would: Vite's starter, the install line
 * (with the packed tarballs for the two packages), the quick start's files as the README shows
 * them, the starter's own `npm run build` (its tsc, then vite build), and the built page run in
 * Chromium.
 */
describe("the README's quick start, from an empty folder", () => {
  let folder: TempApp;
  let app: TempApp;

  beforeAll(async () => {
    folder = await emptyApp();
    await folder.exec("npm", [
      "exec",
      "--yes",
      "--package",
      CREATE_VITE,
      "--",
      "create-vite",
      "app",
      "--template",
      "vanilla-ts",
      "--no-interactive",
    ]);
    app = appIn(path.join(folder.dir, "app"));
  });

  afterAll(async () => {
    await folder?.remove();
  });

  it("builds for production and runs the tasks", async () => {
    const tarballs = inject("tarballs");
    await app.exec("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
    await app.exec("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      tarballs["@errand/client"],
      tarballs["@errand/core"],
    ]);
    const files = await readmeFiles();
    expect([...files.keys()].sort()).toEqual([
      "src/main.ts",
      "src/tasks.ts",
      "src/tasks.worker.ts",
      "vite.config.ts",
    ]);
    for (const [name, code] of files) {
      await mkdir(path.dirname(path.join(app.dir, name)), { recursive: true });
      await writeFile(path.join(app.dir, name), code);
    }
    const indexHtml = path.join(app.dir, "index.html");
    const html = await readFile(indexHtml, "utf8");
    expect(html).toContain('<div id="app"></div>');
    await writeFile(
      indexHtml,
      html.replace('<div id="app"></div>', '<button id="run">Run</button><pre id="log"></pre>'),
    );

    await app.exec("npm", ["run", "build"]);

    const server = await serveStatic(path.join(app.dir, "dist"));
    const browser = await chromium.launch({ executablePath: chromiumExecutable(), args: chromiumArgs });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.click("#run");
      await page.waitForFunction(
        () => document.querySelector("#log")?.textContent?.includes("parse:"),
        null,
        {
          timeout: 120_000,
        },
      );
      const log = (await page.textContent("#log")) ?? "";
      expect(log).toContain("hash: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
      expect(log).toContain("parse: dead after 1 attempt(s)");
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
