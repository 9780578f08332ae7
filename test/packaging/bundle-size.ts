import { brotliCompressSync, constants } from "node:zlib";
import { build, type Metafile } from "esbuild";

/** What a browser fetches for one import, compressed as a CDN serves it (brotli, quality 11). */
export interface BundleSize {
  /** The entry chunk and the chunks it imports statically: what loads before the code runs. */
  readonly initial: number;
  /** `initial` and every chunk loaded by `import()`, as when all of the code is used. */
  readonly total: number;
  /** The package files in the initial chunks, for a test to say what must not be there. */
  readonly initialInputs: readonly string[];
}

/**
 * Bundles `source` (a module of the app in `dir`) as a user's bundler does for production:
 * esbuild `--bundle --minify --format=esm --splitting`, so a dynamic `import()` becomes a chunk
 * of its own. Each chunk is compressed on its own, as each is a separate request.
 */
export async function bundleSize(dir: string, source: string, external: string[] = []): Promise<BundleSize> {
  const result = await build({
    stdin: { contents: source, resolveDir: dir, loader: "js" },
    absWorkingDir: dir,
    bundle: true,
    minify: true,
    format: "esm",
    splitting: true,
    platform: "browser",
    outdir: "out",
    write: false,
    metafile: true,
    external,
    logLevel: "silent",
  });
  const brotli = new Map(
    result.outputFiles.map((file) => [
      file.path.slice(dir.length + 1),
      brotliCompressSync(file.contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    ]),
  );
  const outputs = result.metafile.outputs;
  const initial = staticClosure(outputs);
  const sum = (names: Iterable<string>) =>
    [...names].reduce((total, name) => total + (brotli.get(name) ?? 0), 0);
  return {
    initial: sum(initial),
    total: sum(brotli.keys()),
    initialInputs: [...initial].flatMap((name) => Object.keys(outputs[name]?.inputs ?? {})),
  };
}

/** The entry chunk and every chunk reached from it by static imports. */
function staticClosure(outputs: Metafile["outputs"]): Set<string> {
  const entry = Object.keys(outputs).find((name) => outputs[name]?.entryPoint !== undefined);
  const seen = new Set<string>();
  const pending = entry === undefined ? [] : [entry];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    for (const imported of outputs[name]?.imports ?? []) {
      if (imported.kind === "import-statement") pending.push(imported.path);
    }
  }
  return seen;
}

/** Bytes as the README writes them: kilobytes of 1,000 bytes, one decimal. */
export function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}
