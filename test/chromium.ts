import { requireBrowser } from "../scripts/browsers.mjs";

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
 * The Chromium to drive (`$CHROMIUM_PATH`, the system's, or Playwright's own: see
 * scripts/browsers.mjs, which `npm test` runs first to get one when none is there). Throws a
 * sentence that says how to get one when none is found.
 */
export function chromiumExecutable(): string {
  return requireBrowser("chromium");
}
