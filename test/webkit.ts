import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { webdriverio } from "@vitest/browser-webdriverio";
import { requireBrowser, WEBKIT_DRIVER } from "../scripts/browsers.mjs";

/**
 * WebKit here is WebKitGTK's MiniBrowser (the WebKit Linux has as packages; Playwright's WebKit
 * is a patched build it downloads, and its launcher refuses the stock one). It is driven by
 * WebKitWebDriver (WebDriver classic) through vitest's webdriverio provider, and it has no
 * headless mode, so it gets an Xvfb display of its own.
 */

/**
 * vitest's webdriverio provider for MiniBrowser. The provider accepts only the names firefox,
 * chrome, edge and safari, and sends that name as `browserName`, which WebKitWebDriver refuses
 * ("Failed to match capabilities"): the project names its instance `safari` and this sends
 * WebKitGTK's own name instead.
 */
export function miniBrowserProvider(driverPort: number) {
  // WebKitGTK's own capability, which webdriverio's types do not list.
  const capabilities = {
    "webkitgtk:browserOptions": { binary: requireBrowser("webkit"), args: ["--automation"] },
    // WebKitWebDriver speaks classic WebDriver only.
    "wdio:enforceWebDriverClassic": true,
  } as WebdriverIO.Capabilities;
  const base = webdriverio({ hostname: "127.0.0.1", port: driverPort, capabilities });
  return {
    ...base,
    providerFactory(project: Parameters<typeof base.providerFactory>[0]) {
      const provider = base.providerFactory(project) as ReturnType<typeof base.providerFactory> & {
        buildCapabilities(): Record<string, unknown>;
      };
      const build = provider.buildCapabilities.bind(provider);
      provider.buildCapabilities = () => ({ ...build(), browserName: "MiniBrowser" });
      return provider;
    },
  };
}

/** A display and WebKitWebDriver on `port`, both stopped by `stop()` (by PID). */
export async function startWebKitDriver(port: number): Promise<{ display: string; stop: () => void }> {
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children.reverse()) child.kill("SIGTERM");
  };
  try {
    let display = process.env.DISPLAY;
    if (!display) {
      const xvfb = await startXvfb();
      children.push(xvfb.process);
      display = xvfb.display;
    }
    const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`, "--host=local"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DISPLAY: display },
    });
    children.push(driver);
    await until(`WebKitWebDriver on port ${port}`, driver, async () => {
      const response = await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined);
      return response?.ok === true;
    });
    // Neither may keep vitest's process alive: they are stopped when it exits.
    for (const child of children) child.unref();
    return { display, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * Xvfb on a display number chosen at random among several hundred: `-displayfd` picked :0 each
 * time, and a run that followed another within a second found the last run's :0 still going
 * away ("cannot open display").
 */
async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const number = 200 + Math.floor(Math.random() * 800);
    const socket = `/tmp/.X11-unix/X${number}`;
    if (existsSync(socket) || existsSync(`/tmp/.X${number}-lock`)) continue;
    const xvfb = spawn("Xvfb", [`:${number}`, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], {
      stdio: "ignore",
    });
    try {
      await until(`Xvfb on :${number}`, xvfb, async () => existsSync(socket));
      return { display: `:${number}`, process: xvfb };
    } catch {
      xvfb.kill("SIGTERM");
    }
  }
  throw new Error("Xvfb did not start on any of 20 display numbers.");
}

/** Polls `ready` every 50 ms for up to 60 s, failing at once if `child` exits. */
async function until(what: string, child: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`${what}: exited with ${child.exitCode}.`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready within 60 s.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
