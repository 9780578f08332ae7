import { existsSync } from "node:fs";
import { chromium } from "playwright";

/**
 * Chromium's flags for this machine: no sandbox (CI runs as root), no GPU, and no traffic
 * to anything but loopback (the network is closed; background fetches would only fail).
 */
export const chromiumArgs = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];

/**
 * The Chromium to drive: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`, else
 * Playwright's own download. Throws a message that says how to get one when none is found.
 */
export function chromiumExecutable(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file is there.`);
    return fromEnv;
  }
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  const bundled = safeBundledPath();
  if (bundled && existsSync(bundled)) return bundled;
  throw new Error(
    [
      "No Chromium found for the browser and e2e tests.",
      "Install one of:",
      "  - Debian/Ubuntu: sudo apt-get install chromium   (then it is found at /usr/bin/chromium)",
      "  - Playwright's own: npx playwright install chromium",
      "or point CHROMIUM_PATH at a Chromium or Chrome binary.",
    ].join("\n"),
  );
}

function safeBundledPath(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}
