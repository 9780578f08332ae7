/**
 * A generated picture and a separable box blur over RGBA pixels: the demo's image workload.
 * Plain arrays, no canvas, so it runs the same in a worker and in tests.
 */
import { yieldToEventLoop } from "./primes.ts";

/** Paints a `width`×`height` RGBA test picture: colour gradients with a checkerboard. */
export function generatePicture(width: number, height: number): Uint8ClampedArray {
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const check = ((x >> 4) + (y >> 4)) % 2 === 0 ? 60 : 0;
      pixels[i] = (x * 255) / width + check;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = 255 - (x * 255) / width + check;
      pixels[i + 3] = 255;
    }
  }
  return pixels;
}

/**
 * Blurs `pixels` in place with `passes` horizontal+vertical box passes of `radius` (three
 * passes approximate a Gaussian). Reports progress after each pass; yields to the event loop
 * between passes and stops there when `signal` aborts.
 */
export async function boxBlur(
  pixels: Uint8ClampedArray,
  width: number,
  height: number,
  options: { radius: number; passes: number; signal?: AbortSignal; onProgress?: (fraction: number) => void },
): Promise<Uint8ClampedArray> {
  if (pixels.length !== width * height * 4)
    throw new RangeError("pixels must hold width × height RGBA values");
  const scratch = new Uint8ClampedArray(pixels.length);
  for (let pass = 0; pass < options.passes; pass++) {
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
    blurLine(pixels, scratch, width, height, options.radius, 4, width * 4);
    blurLine(scratch, pixels, height, width, options.radius, width * 4, 4);
    options.onProgress?.((pass + 1) / options.passes);
  }
  return pixels;
}

/**
 * One 1-D box pass along lines of `length` pixels (`step` bytes apart), `lines` of them
 * (`stride` bytes apart), from `src` into `dst`, with edges clamped.
 */
function blurLine(
  src: Uint8ClampedArray,
  dst: Uint8ClampedArray,
  length: number,
  lines: number,
  radius: number,
  step: number,
  stride: number,
): void {
  const window = radius * 2 + 1;
  for (let line = 0; line < lines; line++) {
    const start = line * stride;
    for (let channel = 0; channel < 4; channel++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += src[start + clamp(k, length) * step + channel] ?? 0;
      for (let x = 0; x < length; x++) {
        dst[start + x * step + channel] = sum / window;
        const leaving = src[start + clamp(x - radius, length) * step + channel] ?? 0;
        const entering = src[start + clamp(x + radius + 1, length) * step + channel] ?? 0;
        sum += entering - leaving;
      }
    }
  }
}

function clamp(i: number, length: number): number {
  return i < 0 ? 0 : i >= length ? length - 1 : i;
}
