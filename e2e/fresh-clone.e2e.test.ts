import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, repoRoot } from "../scripts/servers.mjs";
import { launchPersistent } from "./browser.ts";

/**
 * The README's first command, as a newcomer runs it: a clean clone, `npm install && npm start`
 * with a Node older than the one Errand's scripts need first on PATH. The project's own dev
 * dependency must bring the newer Node; this test keeps that path honest.
 */

const MIN_SCRIPT_NODE: readonly [number, number] = [22, 12];
const oldNode = findOldNode();

// npm install and a first wrangler dev in a fresh folder; a paused VM stretches both.
const INSTALL_MS = 900_000;

const title = oldNode
  ? `installs and starts with npm install && npm start (system Node ${oldNode.version} first on PATH)`
  : "installs and starts with npm install && npm start (skipped: no Node older than 22.12 on PATH outside node_modules, nor in /usr/bin)";

describe("a clean clone on a Node older than 22.12", () => {
  let work: string | undefined;
  let start: ChildProcess | undefined;
  afterAll(async () => {
    if (start?.pid !== undefined) await stopGroup(start);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.skipIf(oldNode === undefined)(title, { timeout: INSTALL_MS * 2 }, async () => {
    const node = oldNode as OldNode;
    work = await mkdtemp(path.join(tmpdir(), "errand-clone-"));
    const clone = path.join(work, "errand");
    run("git", ["clone", "--quiet", repoRoot, clone], work);
    const env = newcomerEnv(node.dir);

    const install = spawnSync("npm", ["install", "--no-audit", "--no-fund"], {
      cwd: clone,
      env,
      encoding: "utf8",
      timeout: INSTALL_MS,
    });
    expect(install.status, `npm install failed:\n${install.stdout}\n${install.stderr}`).toBe(0);

    const edgePort = await freePort();
    const demoPort = await freePort();
    let log = "";
    start = spawn("npm", ["start"], {
      cwd: clone,
      env: { ...env, ERRAND_EDGE_PORT: String(edgePort), ERRAND_DEMO_PORT: String(demoPort) },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    start.stdout?.on("data", keep);
    start.stderr?.on("data", keep);

    const health = await answer(`http://127.0.0.1:${edgePort}/v1/health`, start, () => log);
    expect(health.status).toBe(200);
    await answer(`http://127.0.0.1:${demoPort}/`, start, () => log);

    const browser = await launchPersistent();
    try {
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${demoPort}/`);
      await page.waitForSelector("body[data-ready=true]");
      expect(await page.title()).toBe("Errand demo");
    } finally {
      await browser.close();
    }
  });
});

interface OldNode {
  readonly dir: string;
  readonly version: string;
}

/** The first `node` on PATH outside any node_modules, or /usr/bin/node, if older than 22.12. */
function findOldNode(): OldNode | undefined {
  const dirs = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir && !dir.includes("node_modules"));
  for (const dir of [...dirs, "/usr/bin", "/usr/local/bin"]) {
    const binary = path.join(dir, "node");
    if (!existsSync(binary)) continue;
    const version = spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? "";
    const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
    const [minMajor, minMinor] = MIN_SCRIPT_NODE;
    if (major < minMajor || (major === minMajor && minor < minMinor)) return { dir, version };
  }
  return undefined;
}

/**
 * What a person's shell has: PATH with the old Node first and no node_modules/.bin, HOME (npm's
 * cache), and none of the npm_* or VITEST* variables this run inherited from `npm test`.
 */
function newcomerEnv(nodeDir: string): NodeJS.ProcessEnv {
  const keep = ["HOME", "USER", "LANG", "TMPDIR", "TERM", "CI"];
  const env: NodeJS.ProcessEnv = {};
  for (const key of keep) if (process.env[key] !== undefined) env[key] = process.env[key];
  const rest = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir && !dir.includes("node_modules"));
  env.PATH = [nodeDir, ...rest].join(path.delimiter);
  return env;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}`);
}

/** Polls `url` until it answers 2xx, failing early with the log if `npm start` exits. */
async function answer(url: string, child: ChildProcess, log: () => string): Promise<Response> {
  const deadline = Date.now() + INSTALL_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Stops `npm start` and everything it spawned (its process group), by PID. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
