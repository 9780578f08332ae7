import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, firefox } from "playwright";
import { chromiumArgs, chromiumExecutable } from "../test/chromium.ts";

/** The engines Playwright drives here: Chromium, and a stock Firefox over WebDriver BiDi. */
export type PlaywrightEngine = "chromium" | "firefox";

/**
 * A persistent context of `engine` with a profile on disk, so IndexedDB persists as it does for
 * a person (Playwright's `browser.newContext()` keeps it in memory). `close()` also removes the
 * profile.
 */
export async function launchPersistent(
  engine: PlaywrightEngine = "chromium",
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(path.join(tmpdir(), `errand-e2e-${engine}-profile-`));
  const context =
    engine === "chromium"
      ? await chromium.launchPersistentContext(profile, {
          executablePath: chromiumExecutable(),
          args: chromiumArgs,
          headless: true,
        })
      : await firefox.launchPersistentContext(profile, {
          // Playwright's WebDriver BiDi path for a stock Firefox (any `moz-` channel), through
          // the relay that stands in for the binary (test/firefox-bidi.mjs says why).
          channel: "moz-firefox",
          executablePath: fileURLToPath(new URL("../test/firefox-bidi.mjs", import.meta.url)),
          headless: true,
        });
  // Playwright's 30 s default for a page load, an action and a wait for a selector or function:
  // a first Vite page load here has taken longer than that while the machine was paused (README,
  // Measured). The tests' waits for a page to be ready take this bound, not one of their own.
  context.setDefaultNavigationTimeout(120_000);
  context.setDefaultTimeout(120_000);
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
