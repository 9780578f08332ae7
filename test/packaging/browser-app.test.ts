import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Browser, chromium } from "playwright";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../scripts/servers.mjs";
import { chromiumArgs, chromiumExecutable } from "../chromium.ts";
import { repoRoot } from "../conditions.ts";
import { installApp, serveStatic, startProcess, type TempApp } from "./temp-app.ts";

/**
 * examples/browser-app as a user gets it: the packed tarballs installed into a fresh app outside
 * the workspace, typechecked with `strict`, built, served, and run in Chromium through the real
 * worker pool. What the page prints is what the README promises.
 */
describe("the browser example, installed from the tarballs", () => {
  let app: TempApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await installApp("examples/browser-app", inject("tarballs"), {
      devDeps: { webpack: "^5.113.0", "webpack-cli": "^7.3.1", "ts-loader": "^9.6.2" },
    });
    browser = await chromium.launch({ executablePath: chromiumExecutable(), args: chromiumArgs });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.remove();
  });

  /** Opens `url`, presses the button, and returns the log once both tasks have finished. */
  async function runTasks(url: string): Promise<string> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    try {
      await page.goto(url);
      await page.click("#run");
      await page.waitForFunction(
        () => document.querySelector("#log")?.textContent?.includes("parse:"),
        null,
        {
          timeout: 120_000,
        },
      );
      expect(problems).toEqual([]);
      return (await page.textContent("#log")) ?? "";
    } finally {
      await page.close();
    }
  }

  const expected = [
    "hash: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    "parse: dead after 1 attempt(s)",
  ];

  it("typechecks with strict", async () => {
    await app.exec("npx", ["tsc", "--noEmit", "-p", "."]);
  });

  it("typechecks with TypeScript 5.4, the oldest the README names, library types included", async () => {
    // 5.4 knows no es2023 target or lib (even in a config it extends); nothing here needs them.
    const config = JSON.parse(await readFile(path.join(app.dir, "tsconfig.json"), "utf8")) as {
      compilerOptions: Record<string, unknown>;
    };
    Object.assign(config.compilerOptions, { target: "es2022", lib: ["es2022", "dom", "dom.iterable"] });
    await writeFile(path.join(app.dir, "tsconfig.ts54.json"), JSON.stringify(config));
    await app.exec("npx", [
      "--yes",
      "--package",
      "typescript@5.4.5",
      "tsc",
      "--noEmit",
      "-p",
      "tsconfig.ts54.json",
    ]);
  });

  describe("when built with vite build", () => {
    it("builds the worker as JavaScript, with no TypeScript left in the output", async () => {
      await app.exec("npx", ["vite", "build"]);
      const assets = await readdir(path.join(app.dir, "dist/assets"));
      expect(assets.filter((name) => name.endsWith(".ts"))).toEqual([]);
      expect(assets.some((name) => /^tasks\.worker-.*\.js$/.test(name))).toBe(true);
      // What vite build makes of a worker URL it does not build: the source, inlined.
      for (const name of assets.filter((n) => n.endsWith(".js"))) {
        const code = await readFile(path.join(app.dir, "dist/assets", name), "utf8");
        expect(code).not.toContain("data:video/mp2t;base64,");
      }
    });

    it("runs tasks on the worker pool, and a non-retryable error is not retried", async () => {
      const server = await serveStatic(path.join(app.dir, "dist"));
      try {
        const log = await runTasks(server.url);
        for (const line of expected) expect(log).toContain(line);
      } finally {
        await server.close();
      }
    });
  });

  describe("when served by vite dev", () => {
    it("runs the same tasks", async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/`;
      const vite = await startProcess(
        app,
        "npx",
        ["vite", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
        url,
      );
      try {
        const log = await runTasks(url);
        for (const line of expected) expect(log).toContain(line);
      } finally {
        await vite.stop();
      }
    });
  });

  describe("when built with webpack 5", () => {
    it("runs the same tasks", async () => {
      await writeFile(
        path.join(app.dir, "webpack.config.mjs"),
        await readFile(path.join(repoRoot, "test/packaging/webpack.config.mjs")),
      );
      await app.exec("npx", ["webpack", "--config", "webpack.config.mjs"]);
      const html = (await readFile(path.join(app.dir, "index.html"), "utf8")).replace(
        '<script type="module" src="/src/main.ts"></script>',
        `<script src="/${(await readdir(path.join(app.dir, "dist-webpack"))).find((n) => /^main\..*\.js$/.test(n))}"></script>`,
      );
      await writeFile(path.join(app.dir, "dist-webpack/index.html"), html);
      const server = await serveStatic(path.join(app.dir, "dist-webpack"));
      try {
        const log = await runTasks(server.url);
        for (const line of expected) expect(log).toContain(line);
      } finally {
        await server.close();
      }
    });
  });
});
