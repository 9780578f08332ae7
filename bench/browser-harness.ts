/**
 * What the browser benchmarks share: the e2e fixture pages served by Vite from this process, and
 * Chromium with a persistent profile on disk (an in-memory context keeps IndexedDB in memory and
 * inflates its figures), both on 127.0.0.1 and both removed by `close()`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright";
import { createServer } from "vite";
import { freePort, repoRoot } from "../scripts/servers.mjs";
import { chromiumArgs, chromiumExecutable } from "../test/chromium.ts";

/** A fixture server and a browser on a fresh profile. */
export interface BenchBrowser {
  /** The fixture server's base URL, ending in `/`. */
  readonly url: string;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Starts the fixture server and Chromium; `name` labels the profile folder. */
export async function openBenchBrowser(name: string): Promise<BenchBrowser> {
  const port = (await freePort()) as number;
  // HMR and file watching off: other engineers edit the sources these pages import, and a
  // reload mid-measure would void the run.
  const vite = await createServer({
    configFile: path.join(repoRoot, "e2e/fixtures/vite.config.ts"),
    logLevel: "error",
    server: { host: "127.0.0.1", port, strictPort: true, hmr: false, watch: null },
  });
  await vite.listen();
  const profile = await mkdtemp(path.join(tmpdir(), `errand-bench-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumExecutable(),
    args: chromiumArgs,
    headless: true,
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      await vite.close();
    },
  };
}

/** Calls `globalThis[api][name](...args)` in `page` (a benchmark page's measurement functions). */
export function pageCaller(page: Page, api: string) {
  return <T>(name: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ([where, fn, rest]) => {
        const target = (
          globalThis as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>
        )[where as string];
        return target?.[fn as string]?.(...(rest as unknown[]));
      },
      [api, name, args] as const,
    ) as Promise<T>;
}

/**
 * Loads a page until `warmUp` runs through once: Vite optimises a page's dependencies on first
 * load and then reloads it, which would break a measurement in flight.
 */
export async function loadWarm(load: () => Promise<void>, warmUp: () => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    await load();
    try {
      await warmUp();
      return;
    } catch (error) {
      if (tries >= 5) throw error;
    }
  }
}
