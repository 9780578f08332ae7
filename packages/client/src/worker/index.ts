/**
 * `@errand/client/worker`: what a Web Worker module imports to run Errand tasks. Call
 * {@link expose} once with the app's `defineTasks` map and a handler per task type; the page's
 * worker pool does the rest (dispatch, progress, cancellation, timeouts, crash detection).
 *
 * @example
 * ```ts
 * import { expose, transfer } from "@errand/client/worker";
 * import { tasks } from "./tasks.ts";
 *
 * expose(tasks, {
 *   async thumbnail(payload, ctx) {
 *     const bitmap = await createImageBitmap(payload.blob);
 *     ctx.progress(0.5);
 *     const bytes = await shrink(bitmap, payload.width, ctx.signal);
 *     return transfer({ bytes }, [bytes.buffer]);
 *   },
 * });
 * ```
 *
 * @module @errand/client/worker
 */

export type { HandlerContext } from "../lifecycle/executor.ts";
export { type ExposeOptions, expose, type Handler, type Handlers } from "./expose.ts";
export { transfer } from "./transfer.ts";
