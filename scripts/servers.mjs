// Starts and stops the local servers: `wrangler dev` (the edge, on workerd) and Vite (the
// demo). Used by `npm start`, the e2e global setup and the benchmarks, so all three run the
// same thing. Plain JavaScript so that it runs on any supported Node without a loader.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));
/** @param {string} name */
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {{ name: string, pid: number, url: string, stop: () => Promise<void>, output: () => string }} Server
 */

/**
 * How long a server gets to answer. Generous: the host pauses this kind of VM whole for
 * seconds at a time, and a CI run once saw `wrangler dev` print only its banner in 60 s.
 * `ERRAND_SERVER_START_MS` overrides it.
 */
const START_TIMEOUT_MS = Number(process.env.ERRAND_SERVER_START_MS) || 300_000;

/**
 * Spawns a server in its own process group and resolves once `url` answers 2xx.
 * @param {{ name: string, command: string, args: string[], url: string, env?: NodeJS.ProcessEnv, timeoutMs?: number, inherit?: boolean | undefined }} options
 * @returns {Promise<Server>}
 */
export async function startServer({
  name,
  command,
  args,
  url,
  env,
  timeoutMs = START_TIMEOUT_MS,
  inherit = false,
}) {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
  });
  let log = "";
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not be started (${command}).`);

  const server = {
    name,
    pid,
    url,
    output: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with code ${child.exitCode} before answering at ${url}:\n${log}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} did not answer at ${url} within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Signals the whole process group (wrangler and vite spawn children of their own).
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Environment that keeps wrangler off the network: no metrics, no `cf` object fetch. */
export const offlineWranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

/** Turns off wrangler dev's local observability collector (see {@link startEdge}). */
export const withoutObservability = { X_LOCAL_OBSERVABILITY: "false" };

/**
 * Applies the D1 migrations to the local database of a wrangler environment (idempotent).
 * @param {{ env: "dev" | "test", persistTo?: string | undefined }} options
 */
export function applyLocalMigrations({ env, persistTo }) {
  const args = ["d1", "migrations", "apply", "DB", "--local", "--env", env];
  if (persistTo) args.push("--persist-to", persistTo);
  const result = spawnSync(bin("wrangler"), args, {
    cwd: repoRoot,
    env: { ...process.env, ...offlineWranglerEnv, CI: "true" },
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`wrangler d1 migrations apply failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * The edge's Workers: the API Worker (first: it gets the port) and the example consumer of the
 * `errand-delivery` queue, run together by one `wrangler dev`.
 */
export const EDGE_CONFIGS = ["wrangler.toml", "workers/wrangler.example-consumer.toml"];

/**
 * Starts the API Worker with `wrangler dev` on 127.0.0.1, after applying its migrations.
 * `observability: false` turns off wrangler dev's local observability (on by default), which
 * streams every invocation of every Worker, each D1 call and Durable Object call included, to a
 * collector Worker in the same workerd: the benchmarks run without it, as production does.
 * @param {{ port: number, env: "dev" | "test", persistTo?: string | undefined, inherit?: boolean | undefined, vars?: Record<string, string>, configs?: string[], observability?: boolean }} options
 */
export function startEdge({
  port,
  env,
  persistTo,
  inherit,
  vars = {},
  configs = EDGE_CONFIGS,
  observability = true,
}) {
  applyLocalMigrations({ env, persistTo });
  const args = ["dev", ...configs.flatMap((c) => ["-c", c]), "--env", env, "--ip", "127.0.0.1"];
  args.push("--port", String(port), "--inspector-port", "0", "--show-interactive-dev-session=false");
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  return startServer({
    name: "wrangler dev",
    command: bin("wrangler"),
    args,
    url: `http://127.0.0.1:${port}/v1/health`,
    env: observability ? offlineWranglerEnv : { ...offlineWranglerEnv, ...withoutObservability },
    inherit,
  });
}

/**
 * Starts a Vite dev server on 127.0.0.1, pointed at an edge URL.
 * @param {{ name: string, config: string, port: number, edgeUrl: string, inherit?: boolean | undefined }} options
 */
function startVite({ name, config, port, edgeUrl, inherit }) {
  return startServer({
    name,
    command: bin("vite"),
    args: ["--config", config, "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
    url: `http://127.0.0.1:${port}/`,
    env: { ERRAND_EDGE_URL: edgeUrl },
    inherit,
  });
}

/**
 * Starts the demo's Vite dev server.
 * @param {{ port: number, edgeUrl: string, inherit?: boolean | undefined }} options
 */
export function startDemo(options) {
  return startVite({ name: "vite (demo)", config: "demo/vite.config.ts", ...options });
}

/**
 * Starts the Vite server for the e2e fixture pages (`e2e/fixtures/*.html`).
 * @param {{ port: number, edgeUrl: string }} options
 */
export function startFixtures(options) {
  return startVite({ name: "vite (fixtures)", config: "e2e/fixtures/vite.config.ts", ...options });
}
