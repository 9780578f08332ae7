/**
 * What a worker script that does not load means, and what to do about it. The browser says
 * nothing useful (a module worker whose script fails to load fires a bare `error` event), and the
 * usual cause is a bundler that never built the worker: Vite and webpack 5 build one only
 * from `new Worker(new URL("./x.ts", import.meta.url), { type: "module" })` written out in the
 * app's code. A URL made elsewhere is copied as an asset: `vite dev` serves it compiled, so it
 * works, and `vite build` ships the raw TypeScript (inlined as `data:video/mp2t`, the MIME type
 * of the `.ts` extension, when it is small), which no browser runs.
 */

/** The pattern every bundler recognises, as the messages below show it. */
export const WORKER_PATTERN =
  'worker: () => new Worker(new URL("./tasks.worker.ts", import.meta.url), { type: "module" })';

/** Whether a worker URL is TypeScript source that a production build copied instead of compiling. */
export function isUncompiledScript(url: string): boolean {
  if (url.startsWith("data:")) return url.startsWith("data:video/mp2t");
  const path = url.split(/[?#]/, 1)[0] ?? "";
  return /\.(?:ts|mts|cts|tsx)$/.test(path);
}

/**
 * The crash message for a worker whose script did not load: what happened, and what to do.
 * `script` is the URL the pool was given, or `undefined` for a `createWorker` function.
 */
export function loadFailureMessage(script: string | undefined): string {
  const what =
    script === undefined
      ? "The worker script did not load (the Worker that createWorker returned fired an error before it ran)."
      : `The worker script did not load: ${shorten(script)}.`;
  const why =
    script !== undefined && isUncompiledScript(script)
      ? " It is TypeScript source, which a bundler copies as an asset instead of building it when the URL is not written inside `new Worker(...)`."
      : " Check that the URL is served, as JavaScript, from the page's origin.";
  return `${what}${why} Pass createErrand { ${WORKER_PATTERN} }: Vite and webpack 5 build a worker written that way, in dev and in production.`;
}

function shorten(url: string): string {
  return url.length > 100 ? `${url.slice(0, 60)}… (${url.length} characters)` : url;
}
