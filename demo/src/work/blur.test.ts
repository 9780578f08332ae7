import { describe, expect, it } from "vitest";
import { boxBlur, generatePicture } from "./blur.ts";

describe("boxBlur", () => {
  it("leaves a flat picture unchanged", async () => {
    const flat = new Uint8ClampedArray(8 * 8 * 4).fill(120);
    await boxBlur(flat, 8, 8, { radius: 2, passes: 3 });
    expect([...new Set(flat)]).toEqual([120]);
  });

  it("spreads a single bright pixel to its neighbours and keeps the total light about the same", async () => {
    const size = 9;
    const pixels = new Uint8ClampedArray(size * size * 4);
    const centre = (4 * size + 4) * 4;
    pixels[centre] = 255;
    await boxBlur(pixels, size, size, { radius: 1, passes: 1 });
    expect(pixels[centre]).toBeLessThan(255);
    expect(pixels[centre]).toBeGreaterThan(0);
    expect(pixels[(4 * size + 5) * 4]).toBeGreaterThan(0);
    let red = 0;
    for (let i = 0; i < pixels.length; i += 4) red += pixels[i] ?? 0;
    expect(red).toBeGreaterThan(200);
    expect(red).toBeLessThan(300);
  });

  it("reports progress once per pass and stops when aborted", async () => {
    const pixels = generatePicture(32, 16);
    const seen: number[] = [];
    await boxBlur(pixels, 32, 16, { radius: 2, passes: 4, onProgress: (f) => seen.push(f) });
    expect(seen).toEqual([0.25, 0.5, 0.75, 1]);
    const controller = new AbortController();
    controller.abort();
    await expect(
      boxBlur(pixels, 32, 16, { radius: 2, passes: 1, signal: controller.signal }),
    ).rejects.toThrow();
  });

  it("refuses pixels that do not match the size", async () => {
    await expect(boxBlur(new Uint8ClampedArray(10), 2, 2, { radius: 1, passes: 1 })).rejects.toThrow(
      RangeError,
    );
  });
});
