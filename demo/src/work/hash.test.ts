import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chainedSha256 } from "./hash.ts";

describe("chainedSha256", () => {
  it("is deterministic for a seed and differs between seeds", async () => {
    const a = await chainedSha256(300_000, 7, { chunkBytes: 65_536 });
    expect(await chainedSha256(300_000, 7, { chunkBytes: 65_536 })).toBe(a);
    expect(await chainedSha256(300_000, 8, { chunkBytes: 65_536 })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("chains SHA-256 over the chunks as documented", async () => {
    // One chunk of 4 bytes: SHA-256(32 zero bytes ‖ the first 4 xorshift32 bytes of seed 1).
    let state = 1;
    const bytes: number[] = [];
    for (let i = 0; i < 4; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes.push(state & 0xff);
    }
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.alloc(32), Buffer.from(bytes)]))
      .digest("hex");
    expect(await chainedSha256(4, 1)).toBe(expected);
  });

  it("reports progress per chunk up to 1", async () => {
    const seen: number[] = [];
    await chainedSha256(250, 3, { chunkBytes: 100, onProgress: (f) => seen.push(f) });
    expect(seen).toEqual([0.4, 0.8, 1]);
  });
});
