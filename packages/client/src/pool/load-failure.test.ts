import { describe, expect, it } from "vitest";
import { isUncompiledScript, loadFailureMessage, WORKER_PATTERN } from "./load-failure.ts";

describe("isUncompiledScript", () => {
  it("knows TypeScript source by its extension, query and hash aside", () => {
    expect(isUncompiledScript("https://app.test/assets/tasks.worker-Ab12.ts")).toBe(true);
    expect(isUncompiledScript("/src/tasks.worker.mts?v=3#x")).toBe(true);
    expect(isUncompiledScript("data:video/mp2t;base64,aW1wb3J0")).toBe(true);
  });

  it("takes built JavaScript for what it is", () => {
    expect(isUncompiledScript("https://app.test/assets/tasks.worker-Ab12.js")).toBe(false);
    expect(isUncompiledScript("data:text/javascript;base64,aW1wb3J0")).toBe(false);
  });
});

describe("loadFailureMessage", () => {
  it("names the script, says it is uncompiled TypeScript, and gives the pattern to use", () => {
    const message = loadFailureMessage("https://app.test/assets/tasks.worker-Ab12.ts");
    expect(message).toContain("https://app.test/assets/tasks.worker-Ab12.ts");
    expect(message).toContain("TypeScript source");
    expect(message).toContain(WORKER_PATTERN);
  });

  it("shortens a long data URL instead of repeating it", () => {
    const message = loadFailureMessage(`data:video/mp2t;base64,${"A".repeat(5_000)}`);
    expect(message.length).toBeLessThan(600);
    expect(message).toContain("5023 characters");
  });

  it("points at the served script when the worker came from createWorker or a JavaScript URL", () => {
    expect(loadFailureMessage(undefined)).toContain("createWorker");
    expect(loadFailureMessage("/w.js")).toContain("served, as JavaScript");
  });
});
