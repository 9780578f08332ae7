import { startWebKitDriver } from "./webkit.ts";

/**
 * The webkit project's global setup: a display and WebKitWebDriver on the port its config chose.
 * They are stopped when this process exits, not in a teardown: vitest runs global teardowns
 * before it closes the browser providers, and the provider's close still talks to the driver.
 */
export default async function setup(): Promise<void> {
  const port = Number(process.env.ERRAND_WEBKIT_DRIVER_PORT);
  if (!port) throw new Error("ERRAND_WEBKIT_DRIVER_PORT is not set (test/vitest.browser.config.ts sets it).");
  const driver = await startWebKitDriver(port);
  process.once("exit", driver.stop);
}
