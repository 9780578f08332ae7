import type { BrowserContext, Page } from "playwright";
import { findBrowser, howToGetBrowser } from "../scripts/browsers.mjs";
import { launchPersistent } from "./browser.ts";
import { openWebKit } from "./webkit-pages.ts";

/** Every engine the e2e walks run in. */
export type Engine = "chromium" | "firefox" | "webkit";
export const engines: readonly Engine[] = ["chromium", "firefox", "webkit"];

/**
 * A page of one engine, driven from Node the same way in all of them: Playwright for Chromium
 * and Firefox, WebDriver classic for WebKit (webkit-pages.ts).
 */
export interface DrivenPage {
  /** Runs `fn(arg)` in the page and resolves with what it returns (awaited, JSON values only). */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Reloads and waits until the page is ready again (the readiness it was opened with). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** One browser of `engine` with one storage for all its pages. */
export interface EnginePages {
  readonly engine: Engine;
  /** Opens `url` in a new page of the same storage and waits until `ready()` is true in it. */
  open(url: string, ready: () => boolean): Promise<DrivenPage>;
  /** Playwright's context, for what only Playwright can do (offline, CDP); none for WebKit. */
  readonly context: BrowserContext | undefined;
  close(): Promise<void>;
}

/**
 * Why `engine`'s walks are skipped on this machine (its binary is missing, and how to get it),
 * or `undefined` when it is there. Put in the walks' name, so a skip says why.
 */
export function missingEngine(engine: Engine): string | undefined {
  return findBrowser(engine) === undefined ? `skipped: ${howToGetBrowser(engine)}` : undefined;
}

/**
 * `engines` for `describe.each`, each with why it is skipped here (`missing`) and a `title` for
 * the name ("in $title"): the engine, and the reason when it is skipped.
 */
export function engineCases(
  list: readonly Engine[] = engines,
): { engine: Engine; missing: string | undefined; title: string }[] {
  return list.map((engine) => {
    const missing = missingEngine(engine);
    return { engine, missing, title: missing === undefined ? engine : `${engine} (${missing})` };
  });
}

/** Launches `engine`. */
export async function openEngine(engine: Engine): Promise<EnginePages> {
  if (engine === "webkit") return openWebKit();
  const browser = await launchPersistent(engine);
  return playwrightPages(engine, browser.context, browser.close);
}

/** Pages of a Playwright context; `close` is what closing them all does (the caller's browser, or nothing). */
export function playwrightPages(
  engine: "chromium" | "firefox",
  context: BrowserContext,
  close: () => Promise<void>,
): EnginePages {
  return {
    engine,
    context,
    open: async (url, ready) => {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(ready);
      return playwrightPage(page, ready);
    },
    close,
  };
}

/** A Playwright page as a {@link DrivenPage}. */
export function playwrightPage(page: Page, ready: () => boolean): DrivenPage {
  return {
    // Playwright's own signature adds handle types that pages here never pass.
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) =>
      (page.evaluate as (fn: (arg: A) => R | Promise<R>, arg?: A) => Promise<R>).call(page, fn, arg),
    reload: async () => {
      await page.reload();
      await page.waitForFunction(ready);
    },
    close: () => page.close(),
  };
}
