import { mkdir } from "node:fs/promises";
import type { Page } from "playwright";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchPersistent } from "./browser.ts";

const shots = "test-results/demo";

/** Walks the demo as a person would, asserting on what is visible, and saves screenshots. */
describe("the demo page", () => {
  let browser: Awaited<ReturnType<typeof launchPersistent>>;
  let page: Page;
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    browser = await launchPersistent();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1200, height: 1400 });
    await page.goto(inject("demoUrl"));
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const row = (type: string) => page.locator(`#work-list li[data-type=${type}]`).first();
  const stateOf = (locator: ReturnType<Page["locator"]>) => locator.getAttribute("data-state");

  it("runs heavy tasks on workers and shows their progress reach 100%", async () => {
    await page.click("#run-primes");
    await page.click("#run-blur");
    await page.click("#run-hash");
    for (const type of ["primes", "blur", "hash"]) {
      await expect.poll(() => stateOf(row(type)), { timeout: 90_000 }).toBe("succeeded");
      expect(await row(type).locator(".percent").textContent()).toBe("100%");
    }
    expect(await row("primes").locator(".summary").textContent()).toContain("2,433,654 primes");
    expect(await page.locator("#blur-canvas").isVisible()).toBe(true);
    await page.screenshot({ path: `${shots}/01-heavy-work.png`, fullPage: true });
  });

  it("cancels a running task", async () => {
    await page.click("#run-primes");
    const primes = row("primes");
    await expect.poll(() => stateOf(primes), { timeout: 30_000 }).toBe("running");
    await primes.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => stateOf(primes), { timeout: 30_000 }).toBe("cancelled");
    await page.screenshot({ path: `${shots}/02-cancelled.png`, fullPage: true });
  });

  it("lets flaky tasks die into the dead letters and replays one once the service is healthy", async () => {
    await page.locator("#failure-rate").fill("100");
    await page.click("#run-flaky");
    await expect.poll(() => page.locator("#dead-count").textContent(), { timeout: 60_000 }).toBe("5");
    const letter = page.locator("#dead-list li").first();
    expect(await letter.locator(".summary").textContent()).toContain("simulated failure");
    expect(await letter.locator(".attempts").textContent()).toBe("×4");
    await page.screenshot({ path: `${shots}/03-dead-letters.png`, fullPage: true });

    await page.locator("#failure-rate").fill("0");
    const id = await letter.getAttribute("data-id");
    await letter.getByRole("button", { name: "Replay" }).click();
    await expect.poll(() => page.locator("#dead-count").textContent(), { timeout: 30_000 }).toBe("4");
    await expect
      .poll(() => page.locator(`#flaky-list li[data-id="${id}"]`).getAttribute("data-state"), {
        timeout: 30_000,
      })
      .toBe("succeeded");

    await page.click("#purge-dead");
    await expect.poll(() => page.locator("#dead-count").textContent(), { timeout: 30_000 }).toBe("0");
  });

  it("resumes a task that was running when the page reloaded", async () => {
    await page.click("#run-hash");
    const hash = row("hash");
    await expect.poll(() => stateOf(hash), { timeout: 30_000 }).toBe("running");
    const id = await hash.getAttribute("data-id");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    const resumed = page.locator(`#work-list li[data-id="${id}"]`);
    await expect.poll(() => stateOf(resumed), { timeout: 120_000 }).toBe("succeeded");
    expect(Number((await resumed.locator(".attempts").textContent())?.slice(1))).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${shots}/04-resumed-after-reload.png`, fullPage: true });
  });

  it("shows the local edge as up", async () => {
    await expect
      .poll(() => page.locator("#edge-status").getAttribute("data-state"), { timeout: 30_000 })
      .toBe("up");
  });
});
