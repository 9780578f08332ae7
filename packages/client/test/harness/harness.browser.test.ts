import { wrap } from "comlink";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import { server } from "vitest/browser";
import type { HarnessApi } from "./harness.worker.ts";

describe("the browser harness", () => {
  it("runs in the engine its project names, with IndexedDB, module workers and Web Locks", () => {
    // vitest's names: WebKit's project drives WebKitGTK as "safari".
    const agents: Record<string, RegExp> = {
      chromium: /Chrome\//,
      firefox: /Firefox\//,
      safari: /AppleWebKit\/(?!.*Chrome\/)/,
    };
    expect(navigator.userAgent).toMatch(agents[server.browser] ?? /no such engine/);
    expect(typeof indexedDB.open).toBe("function");
    expect(typeof navigator.locks.request).toBe("function");
  });

  it("lets a module Web Worker called through comlink write to IndexedDB that the page reads back", async () => {
    const worker = new Worker(new URL("./harness.worker.ts", import.meta.url), { type: "module" });
    try {
      const remote = wrap<HarnessApi>(worker);
      const dbName = `harness-${crypto.randomUUID()}`;
      await remote.put(dbName, "greeting", "written by the worker");

      const db = await openDB(dbName, 1);
      expect(await db.get("kv", "greeting")).toBe("written by the worker");
      db.close();
    } finally {
      worker.terminate();
    }
  });
});
