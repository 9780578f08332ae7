import { fileURLToPath } from "node:url";
import { playwright } from "@vitest/browser-playwright";
import type { TestProjectInlineConfiguration } from "vitest/config";
import { findBrowser, howToGetBrowser, requireBrowser } from "../scripts/browsers.mjs";
import { freePort } from "../scripts/servers.mjs";
import { chromiumArgs } from "./chromium.ts";
import { repoRoot, sourceConditions } from "./conditions.ts";

/** The engines the browser tests run in; each gets a project of its own. */
export type Engine = "chromium" | "firefox" | "webkit";

/**
 * The browser projects: IndexedDB, module Web Workers, Web Locks and BroadcastChannel in real
 * engines. Chromium (`browser`) is required; Firefox (`browser-firefox`) and WebKit
 * (`browser-webkit`) run every browser test too, where the machine has them (scripts/browsers.mjs
 * gets them when `npm test` starts), and are skipped, saying so, where it has not.
 */
export async function browserProjects(): Promise<TestProjectInlineConfiguration[]> {
  const projects = [await browserProject("chromium")];
  for (const engine of ["firefox", "webkit"] as const) {
    if (findBrowser(engine)) projects.push(await browserProject(engine));
    else console.warn(`browser-${engine}: skipped. ${howToGetBrowser(engine)}`);
  }
  return projects;
}

async function browserProject(engine: Engine): Promise<TestProjectInlineConfiguration> {
  return {
    root: repoRoot,
    resolve: { conditions: sourceConditions },
    optimizeDeps: { include: ["comlink", "idb", "react", "react/jsx-runtime", "react-dom/client"] },
    test: {
      name: engine === "chromium" ? "browser" : `browser-${engine}`,
      // Liveness bounds, not speed: the host pauses this VM whole for seconds at a time, and in a
      // bad hour for most of the wall clock, so these are the only limits; tests set none smaller.
      // A passing run is no slower for them. A CI run took 318 s for the 1,000-task pool test,
      // which takes about 1 s here when the host does not pause the VM.
      testTimeout: 600_000,
      hookTimeout: 600_000,
      expect: { poll: { timeout: 60_000 } },
      include: [
        "packages/*/src/**/*.browser.test.ts",
        "packages/*/src/**/*.browser.test.tsx",
        "packages/*/test/**/*.browser.test.ts",
        "demo/src/**/*.browser.test.ts",
      ],
      ...(engine === "webkit" ? { globalSetup: ["test/webkit-setup.ts"] } : {}),
      // One engine at a time on this 2-core machine, after the node and workerd projects: two
      // browsers side by side took each other's cores and missed their bounds.
      sequence: { groupOrder: { chromium: 0, firefox: 2, webkit: 3 }[engine] },
      browser: {
        enabled: true,
        ...(await engineBrowser(engine)),
        screenshotFailures: false,
        // The page's first connection to vitest: 60 s by default, which a CI run in a heavily
        // paused hour missed, so none of this project's files ran.
        connectTimeout: 300_000,
      },
    },
  };
}

async function engineBrowser(engine: Engine) {
  switch (engine) {
    case "chromium":
      return {
        headless: true,
        provider: playwright({
          launchOptions: { executablePath: requireBrowser("chromium"), args: chromiumArgs },
        }),
        instances: [{ browser: "chromium" as const }],
      };
    case "firefox":
      return {
        headless: true,
        // Playwright's WebDriver BiDi path for a stock Firefox (any `moz-` channel), through the
        // relay that stands in for the binary (test/firefox-bidi.mjs says why).
        provider: playwright({
          launchOptions: {
            channel: "moz-firefox",
            executablePath: fileURLToPath(new URL("./firefox-bidi.mjs", import.meta.url)),
          },
        }),
        instances: [{ browser: "firefox" as const }],
      };
    case "webkit": {
      const { miniBrowserProvider } = await import("./webkit.ts");
      process.env.ERRAND_WEBKIT_DRIVER_PORT ??= String(await freePort());
      return {
        // MiniBrowser has no headless mode: test/webkit-setup.ts gives it an Xvfb display.
        headless: false,
        provider: miniBrowserProvider(Number(process.env.ERRAND_WEBKIT_DRIVER_PORT)),
        instances: [{ browser: "safari" as const }],
      };
    }
  }
}
