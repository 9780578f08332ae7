/**
 * The demo's hashing workload: a deterministic "file" of `sizeBytes` pseudo-random bytes
 * (xorshift32 from a seed, so a reload produces the same file) hashed in 1 MiB chunks with
 * SHA-256 chained over the chunks (`h = SHA-256(h ‖ chunk)`), which lets the handler report
 * progress and stop between chunks. It is not the SHA-256 of the whole file; the page says so.
 */
export async function chainedSha256(
  sizeBytes: number,
  seed: number,
  options: { chunkBytes?: number; signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<string> {
  if (!Number.isInteger(sizeBytes) || sizeBytes < 0)
    throw new RangeError("sizeBytes must be a non-negative integer");
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  let state = seed >>> 0 || 1;
  let digest = new Uint8Array(32);
  const chunk = new Uint8Array(chunkBytes + 32);
  for (let done = 0; done < sizeBytes; done += chunkBytes) {
    options.signal?.throwIfAborted();
    const length = Math.min(chunkBytes, sizeBytes - done);
    chunk.set(digest, 0);
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk[32 + i] = state & 0xff;
    }
    digest = new Uint8Array(await crypto.subtle.digest("SHA-256", chunk.subarray(0, 32 + length)));
    options.onProgress?.(Math.min(1, (done + length) / sizeBytes));
  }
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
