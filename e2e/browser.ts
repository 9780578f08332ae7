import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright";
import { chromiumArgs, chromiumExecutable } from "../test/chromium.ts";

/**
 * A Chromium context with a profile on disk, so IndexedDB persists as it does for a person
 * (Playwright's `browser.newContext()` keeps it in memory). `close()` also removes the profile.
 */
export async function launchPersistent(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(path.join(tmpdir(), "errand-e2e-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumExecutable(),
    args: chromiumArgs,
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
