import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chromiumArgs, chromiumExecutable } from "../chromium.ts";
import { installApp, serveStatic, type TempApp } from "./temp-app.ts";

const run = promisify(execFile);

/**
 * Version skew as npm makes it: the app depends on @errand/core 0.2.0, which @errand/client's
 * `^0.1.0` does not accept, so npm installs a second copy (0.1.0) under the client. The worker's
 * handler throws the app's NonRetryableError, the client's runtime catches it: the task must
 * still go to dead after one attempt, not be retried as an unknown error.
 */
describe("two versions of @errand/core side by side", () => {
  let app: TempApp;
  let scratch: string;

  beforeAll(async () => {
    const tarballs = inject("tarballs");
    scratch = await mkdtemp(path.join(tmpdir(), "errand-core-next-"));
    await run("tar", ["-xzf", tarballs["@errand/core"], "-C", scratch]);
    const manifestPath = path.join(scratch, "package/package.json");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { version: string };
    manifest.version = "0.2.0";
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    const next = path.join(scratch, "errand-core-0.2.0.tgz");
    await run("tar", ["-czf", next, "-C", scratch, "package"]);
    app = await installApp("test/packaging/two-cores", tarballs, {
      deps: { "@errand/core": `file:${next}` },
      // The client's own range names a version the registry does not have: point it at 0.1.0.
      extra: { overrides: { "@errand/client": { "@errand/core": `file:${tarballs["@errand/core"]}` } } },
    });
  });

  afterAll(async () => {
    await app?.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  it("installs two copies", async () => {
    const version = async (at: string) =>
      (JSON.parse(await readFile(path.join(app.dir, at, "package.json"), "utf8")) as { version: string })
        .version;
    expect(await version("node_modules/@errand/core")).toBe("0.2.0");
    expect(await version("node_modules/@errand/client/node_modules/@errand/core")).toBe("0.1.0");
  });

  it("sends a task whose handler throws the other copy's NonRetryableError to dead after one attempt", async () => {
    await app.exec("npx", ["vite", "build"]);
    const server = await serveStatic(path.join(app.dir, "dist"));
    const browser = await chromium.launch({ executablePath: chromiumExecutable(), args: chromiumArgs });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => document.querySelector("#log")?.textContent !== "", null, {
        timeout: 120_000,
      });
      expect(JSON.parse((await page.textContent("#log")) ?? "")).toEqual({
        outcome: "refused",
        state: "dead",
        attempts: 1,
      });
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
