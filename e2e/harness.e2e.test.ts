import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchPersistent } from "./browser.ts";

describe("the e2e harness", () => {
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  beforeAll(async () => {
    browser = await launchPersistent();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("has a running edge that answers its health route from workerd", async () => {
    const response = await fetch(`${inject("edgeUrl")}/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, env: "test" });
  });

  it("serves a page that calls the edge's health route and shows it up again after a reload", async () => {
    const page = await browser.context.newPage();
    await page.goto(inject("demoUrl"));
    const status = page.locator("#edge-status");
    await expect.poll(() => status.getAttribute("data-state"), { timeout: 120_000 }).toBe("up");

    await page.reload();
    await expect.poll(() => status.getAttribute("data-state"), { timeout: 120_000 }).toBe("up");
    expect(await page.locator("#edge-detail").textContent()).toContain(inject("edgeUrl"));
  });
});
