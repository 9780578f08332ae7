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
 * @property {() => string | undefined} system the system's package, when it and what driving it
 *   needs are there
 * @property {"chromium"} [playwright] the build `playwright install` downloads, where Errand can
 *   drive Playwright's own (Playwright's Firefox and WebKit are patched builds that need its own
 *   launchers, so those engines use the system's)
 * @property {string[]} aptPackages Debian's packages that provide it and what driving it needs
 */

/** @type {Record<string, Engine>} */
export const engines = {
  chromium: {
    name: "Chromium",
    env: "CHROMIUM_PATH",
    system: () => firstExisting(["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
    playwright: "chromium",
    aptPackages: ["chromium"],
  },
  // A stock Firefox, driven by Playwright over WebDriver BiDi (test/firefox-bidi.mjs).
  firefox: {
    name: "Firefox",
    env: "FIREFOX_PATH",
    system: () => firstExisting(["/usr/bin/firefox-esr", "/usr/bin/firefox"]),
    aptPackages: ["firefox-esr"],
  },
  // WebKitGTK's MiniBrowser, driven by WebKitWebDriver (WebDriver classic) on an Xvfb display:
  // the WebKit that Linux has as packages (test/webkit.ts).
  webkit: {
    name: "WebKit",
    env: "WEBKIT_MINIBROWSER",
    system: () => {
      if (!existsSync(WEBKIT_DRIVER) || !(process.env.DISPLAY || onPath("Xvfb"))) return undefined;
      const lib = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"];
      return firstExisting(
        lib.flatMap((dir) => ["4.1", "4.0"].map((v) => `${dir}/webkit2gtk-${v}/MiniBrowser`)),
      );
    },
    aptPackages: ["libwebkit2gtk-4.1-0", "webkit2gtk-driver", "xvfb"],
  },
};

/** WebKitGTK's WebDriver server (Debian's webkit2gtk-driver). */
export const WEBKIT_DRIVER = process.env.WEBKIT_WEBDRIVER ?? "/usr/bin/WebKitWebDriver";

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
  return (
    spec.system() ?? (spec.playwright ? firstExisting([playwrightExecutable(spec.playwright)]) : undefined)
  );
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
 * The one sentence that says how to get `engine`.
 * @param {string} engine
 */
export function howToGetBrowser(engine) {
  return howToGet(specOf(engine));
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
  if (spec.playwright) {
    say(`${spec.name}: none found; downloading Playwright's ${spec.playwright}`);
    const downloaded = run(bin("playwright"), ["install", spec.playwright]).ok && findBrowser(engine);
    if (downloaded) return downloaded;
  }
  if (canApt()) {
    say(
      `${spec.name}: none found or downloaded; installing Debian's ${spec.aptPackages.join(", ")} with apt-get`,
    );
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
  const packages = spec.aptPackages.join(" ");
  const download = spec.playwright ? `, or run npx playwright install ${spec.playwright}` : "";
  return `No ${spec.name} found: install Debian's ${packages} (apt-get install ${packages})${download}, or point ${spec.env} at a ${spec.name} binary.`;
}

/**
 * @param {(string | undefined)[]} paths
 * @returns {string | undefined}
 */
function firstExisting(paths) {
  return paths.find((path) => path !== undefined && existsSync(path));
}

/** @param {string} engine */
function specOf(engine) {
  const spec = engines[engine];
  if (!spec) throw new Error(`Unknown browser engine ${engine}; known: ${Object.keys(engines).join(", ")}.`);
  return spec;
}

/**
 * Where Playwright's own download of `name` goes (whether or not it is there).
 * @param {"chromium"} name
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
