import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../conditions.ts";

const run = promisify(execFile);

/** An app in a temporary folder outside the workspace, installed from the registry and tarballs. */
export interface TempApp {
  readonly dir: string;
  /** Runs a command in the app's folder; rejects with its output when it fails. */
  exec(command: string, args: string[]): Promise<string>;
  remove(): Promise<void>;
}

/**
 * Copies `source` (a folder of this repository) to a fresh temporary folder, points the
 * package.json's `@errand/*` dependencies at the tarballs (`deps` adds or replaces others), and
 * runs `npm install` there: the registry and the tarballs, nothing from the workspace.
 */
export async function installApp(
  source: string,
  tarballs: Record<string, string>,
  changes: { deps?: Record<string, string>; devDeps?: Record<string, string>; extra?: object } = {},
): Promise<TempApp> {
  const dir = await mkdtemp(path.join(tmpdir(), "errand-app-"));
  await cp(path.join(repoRoot, source), dir, {
    recursive: true,
    filter: (file) => !/[/\\](node_modules|dist)$/.test(file),
  });
  const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies)) {
    const tarball = tarballs[name];
    if (tarball !== undefined) manifest.dependencies[name] = `file:${tarball}`;
  }
  Object.assign(manifest.dependencies, changes.deps);
  Object.assign(manifest.devDependencies, changes.devDeps);
  Object.assign(manifest, changes.extra);
  await writeFile(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  const app = appIn(dir);
  await app.exec("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
  return app;
}

/** An empty temporary folder outside the workspace, to start an app from nothing. */
export async function emptyApp(): Promise<TempApp> {
  return appIn(await mkdtemp(path.join(tmpdir(), "errand-app-")));
}

/** The app in `dir`: commands run there. */
export function appIn(dir: string): TempApp {
  return {
    dir,
    async exec(command, args) {
      try {
        const { stdout, stderr } = await run(command, args, {
          cwd: dir,
          env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
          maxBuffer: 64 * 1024 * 1024,
        });
        return stdout + stderr;
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        throw new Error(`${command} ${args.join(" ")} failed in ${dir}:\n${stdout ?? ""}\n${stderr ?? ""}`);
      }
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".ts": "video/mp2t",
};

/**
 * Serves a built folder on 127.0.0.1 at a free port, as a static host would: each file with the
 * MIME type of its extension (a `.ts` file as `video/mp2t`, which no browser runs as a script).
 */
export async function serveStatic(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    const file = path.join(root, pathname.endsWith("/") ? `${pathname}index.html` : pathname);
    if (!file.startsWith(root)) return void response.writeHead(403).end();
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Starts a long-running command of the app (a dev server) in its own process group, waits until
 * `url` answers, and stops the group by its PID.
 */
export async function startProcess(
  app: TempApp,
  command: string,
  args: string[],
  url: string,
): Promise<{ stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(command, args, {
    cwd: app.dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} could not be started`);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      return;
    }
    await exited;
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited early:\n${output}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not answer at ${url}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
