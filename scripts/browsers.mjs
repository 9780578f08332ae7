// Finds the browsers that the browser and e2e tests, the benchmarks and the demo's screenshot
// drive, and gets one that is missing: Playwright's own build where its download site can be
// reached, else the system's package through apt when this runs as root. Used by the test
// configurations (find) and by `npm test` (get). Plain JavaScript so that any Node runs it.
//
//   node scripts/browsers.mjs [engine ...]   finds each engine (default: all), gets what is missing
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * @typedef {object} Engine
 * @property {string} name how a person calls it
 * @property {string} env the variable that points at a binary and wins over every other place
 * @property {string[]} systemPaths where the system's packages put it
 * @property {() => string | undefined} playwrightPath where Playwright's own download puts it
 * @property {"chromium" | "firefox" | "webkit"} playwrightName the name `playwright install` takes
 * @property {string[]} aptPackages Debian's packages that provide it
 */

/** @type {Record<string, Engine>} */
export const engines = {
  chromium: {
    name: "Chromium",
    env: "CHROMIUM_PATH",
    systemPaths: ["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    playwrightPath: () => playwrightExecutable("chromium"),
    playwrightName: "chromium",
    aptPackages: ["chromium"],
  },
};

/**
 * The binary to drive for `engine`: its variable, else the system's package, else Playwright's
 * own download. `undefined` when none is there.
 * @param {string} engine
 * @returns {string | undefined}
 */
export function findBrowser(engine) {
  const spec = specOf(engine);
  const fromEnv = process.env[spec.env];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${spec.env} is set to ${fromEnv}, but no file is there.`);
    return fromEnv;
  }
  return [...spec.systemPaths, spec.playwrightPath()].find((path) => path !== undefined && existsSync(path));
}

/**
 * The binary for `engine`, or an error that says in one sentence how to get one.
 * @param {string} engine
 * @returns {string}
 */
export function requireBrowser(engine) {
  const found = findBrowser(engine);
  if (found) return found;
  throw new Error(howToGet(specOf(engine)));
}

/**
 * Finds `engine` or gets it, saying what it does. Returns the binary, or `undefined` (with the
 * reason printed) when neither way worked.
 * @param {string} engine
 * @param {(line: string) => void} [say]
 * @returns {string | undefined}
 */
export function ensureBrowser(engine, say = (line) => console.log(`browsers: ${line}`)) {
  const spec = specOf(engine);
  const found = findBrowser(engine);
  if (found) {
    say(`${spec.name}: ${found}`);
    return found;
  }
  say(`${spec.name}: none found; downloading Playwright's ${spec.playwrightName}`);
  if (run(bin("playwright"), ["install", spec.playwrightName]).ok) {
    const downloaded = findBrowser(engine);
    if (downloaded) return downloaded;
  }
  if (canApt()) {
    say(`${spec.name}: the download failed; installing Debian's ${spec.aptPackages.join(", ")} with apt-get`);
    const apt = aptInstall(spec.aptPackages);
    const installed = apt.ok ? findBrowser(engine) : undefined;
    if (installed) {
      say(`${spec.name}: ${installed}`);
      return installed;
    }
    say(`${spec.name}: apt-get failed: ${apt.output.trim().split("\n").at(-1)}`);
  }
  say(howToGet(spec));
  return undefined;
}

/** @param {Engine} spec */
function howToGet(spec) {
  return (
    `No ${spec.name} found: install Debian's ${spec.aptPackages.join(" ")} (apt-get install ${spec.aptPackages.join(" ")}), ` +
    `or run npx playwright install ${spec.playwrightName}, or point ${spec.env} at a ${spec.name} binary.`
  );
}

/** @param {string} engine */
function specOf(engine) {
  const spec = engines[engine];
  if (!spec) throw new Error(`Unknown browser engine ${engine}; known: ${Object.keys(engines).join(", ")}.`);
  return spec;
}

/**
 * Where Playwright's own download of `name` goes (whether or not it is there).
 * @param {"chromium" | "firefox" | "webkit"} name
 */
function playwrightExecutable(name) {
  try {
    return createRequire(import.meta.url)("playwright")[name].executablePath();
  } catch {
    return undefined;
  }
}

/**
 * `apt-get update` then `apt-get install`, each waiting for another apt's lock rather than
 * failing on it.
 * @param {string[]} packages
 */
function aptInstall(packages) {
  const wait = ["-o", "DPkg::Lock::Timeout=600"];
  const update = run("apt-get", ["update", "-qq", ...wait]);
  return update.ok ? run("apt-get", ["install", "-y", "-qq", ...wait, ...packages]) : update;
}

/** Root with apt-get on PATH: the one case where installing a system package is ours to do. */
function canApt() {
  return process.getuid?.() === 0 && onPath("apt-get");
}

/** @param {string} command */
function onPath(command) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** @param {string} name */
function bin(name) {
  return fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
}

/**
 * @param {string} command
 * @param {string[]} args
 */
function run(command, args) {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wanted = process.argv.slice(2);
  const missing = (wanted.length > 0 ? wanted : Object.keys(engines)).filter(
    (engine) => !ensureBrowser(engine),
  );
  // Missing engines are not a failure here: the test projects that need them say they were
  // skipped, and the finder's sentence above says how to get them.
  if (missing.length > 0) console.log(`browsers: missing ${missing.join(", ")}`);
}
