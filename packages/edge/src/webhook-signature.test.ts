import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";

const body = JSON.stringify({ id: "t1", payload: { n: 1 } });
const now = 1_800_000_000;

describe("verifyWebhookSignature", () => {
  it("accepts a fresh signature made with the secret", async () => {
    const header = await signWebhook("secret-a", body, now);
    expect(await verifyWebhookSignature(header, body, ["secret-a"], { now })).toEqual({
      ok: true,
      timestamp: now,
    });
  });

  it("rejects a forged signature and a changed body", async () => {
    const header = await signWebhook("not-the-secret", body, now);
    expect(await verifyWebhookSignature(header, body, ["secret-a"], { now })).toEqual({
      ok: false,
      reason: "mismatch",
    });
    const good = await signWebhook("secret-a", body, now);
    expect(await verifyWebhookSignature(good, `${body} `, ["secret-a"], { now })).toMatchObject({
      ok: false,
    });
  });

  it("rejects a signature six minutes old", async () => {
    const header = await signWebhook("secret-a", body, now - 360);
    expect(await verifyWebhookSignature(header, body, ["secret-a"], { now })).toEqual({
      ok: false,
      reason: "stale",
    });
  });

  it("accepts old and new secrets during a rotation and refuses a rotated-out one after", async () => {
    const oldHeader = await signWebhook("old-secret", body, now);
    expect((await verifyWebhookSignature(oldHeader, body, ["new-secret", "old-secret"], { now })).ok).toBe(
      true,
    );
    expect(await verifyWebhookSignature(oldHeader, body, ["new-secret"], { now })).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });

  it("accepts a header signed with several secrets by a receiver that knows any one of them", async () => {
    const header = await signWebhook(["new-secret", "old-secret"], body, now);
    expect(header.split(",").map((part) => part.slice(0, 3))).toEqual(["t=1", "v1=", "v1="]);
    for (const known of ["new-secret", "old-secret"]) {
      expect((await verifyWebhookSignature(header, body, [known], { now })).ok).toBe(true);
    }
    expect((await verifyWebhookSignature(header, body, ["other"], { now })).ok).toBe(false);
  });

  it("reports missing and malformed headers", async () => {
    expect(await verifyWebhookSignature(null, body, ["s"])).toEqual({ ok: false, reason: "missing" });
    expect(await verifyWebhookSignature("t=abc,v1=zz", body, ["s"])).toEqual({
      ok: false,
      reason: "malformed",
    });
  });
});
