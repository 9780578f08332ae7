import { remote } from "webdriverio";
import { requireBrowser } from "../scripts/browsers.mjs";
import { freePort } from "../scripts/servers.mjs";
import { startWebKitDriver } from "../test/webkit.ts";
import type { DrivenPage, EnginePages } from "./pages.ts";

/**
 * WebKit for the e2e walks: WebKitGTK's MiniBrowser through WebKitWebDriver (test/webkit.ts
 * says why that one), in one WebDriver session. Pages are windows of that session, so they
 * share one storage as a person's tabs do. Automation sessions keep storage in memory: it
 * lasts across reloads and windows, not across sessions, so the walks never restart WebKit.
 *
 * WebDriver classic acts in one window at a time, so every command switches to its page's window
 * first, and commands run one after another.
 */
export async function openWebKit(): Promise<EnginePages> {
  const port: number = await freePort();
  const driver = await startWebKitDriver(port);
  // A backstop: the driver and display must not outlive the test process if close() never runs.
  process.once("exit", driver.stop);
  let browser: WebdriverIO.Browser;
  try {
    browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      // A session's start and a long script are bounded by the tests' own timeouts.
      connectionRetryTimeout: 300_000,
      capabilities: {
        browserName: "MiniBrowser",
        "webkitgtk:browserOptions": { binary: requireBrowser("webkit"), args: ["--automation"] },
        "wdio:enforceWebDriverClassic": true,
      } as WebdriverIO.Capabilities,
    });
    // Scripts that wait for a task's result take as long as the task: the tests bound them.
    await browser.setTimeout({ script: 300_000, pageLoad: 120_000 });
  } catch (error) {
    process.off("exit", driver.stop);
    driver.stop();
    throw error;
  }
  // The session's first window stays open and blank: closing a session's last window ends it.
  const anchor = await browser.getWindowHandle();
  let current = anchor;
  let queue: Promise<unknown> = Promise.resolve();
  const inWindow = <T>(handle: string, action: () => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      if (current !== handle) {
        await browser.switchToWindow(handle);
        current = handle;
      }
      return action();
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const evaluateIn = async <R, A>(handle: string, fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> => {
    // The function's source runs in the page, as Playwright's evaluate does; a thrown error
    // comes back as a value, so it fails the test with the page's message, not a timeout.
    const script = `const input = arguments[0], done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn.toString()})(input)).then(
        (value) => done({ value: value === undefined ? null : value }),
        (error) => done({ error: String((error && error.stack) || error) }));`;
    const outcome = (await inWindow(handle, () => browser.executeAsyncScript(script, [arg ?? null]))) as {
      value?: R;
      error?: string;
    };
    if (outcome.error !== undefined) throw new Error(`in WebKit's page: ${outcome.error}`);
    return outcome.value as R;
  };

  /** Polls `ready` in the window every 100 ms for up to 120 s, letting other pages' commands in between. */
  const waitReady = async (handle: string, ready: () => boolean) => {
    const deadline = Date.now() + 120_000;
    while (!(await evaluateIn(handle, ready).catch(() => false))) {
      if (Date.now() > deadline) throw new Error("WebKit's page was not ready within 120 s.");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  return {
    engine: "webkit",
    context: undefined,
    async open(url, ready) {
      const handle = await inWindow(current, async () => (await browser.createWindow("window")).handle);
      await inWindow(handle, () => browser.navigateTo(url));
      await waitReady(handle, ready);
      const page: DrivenPage = {
        evaluate: (fn, arg) => evaluateIn(handle, fn, arg),
        async reload() {
          await inWindow(handle, () => browser.refresh());
          await waitReady(handle, ready);
        },
        async close() {
          await inWindow(handle, async () => {
            await browser.closeWindow();
            await browser.switchToWindow(anchor);
            current = anchor;
          });
        },
      };
      return page;
    },
    async close() {
      try {
        await browser.deleteSession();
      } finally {
        process.off("exit", driver.stop);
        driver.stop();
      }
    },
  };
}
