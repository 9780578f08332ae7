import type { LocalTaskInfo } from "@errand/client";
import { byId } from "../dom.ts";
import type { TaskBoard } from "../task-board.ts";
import { describeError, renderTasks } from "./task-row.ts";

const HEAVY = ["hash", "primes", "blur"] as const;

/**
 * Heavy work on Web Workers: buttons that enqueue hashing, a prime sieve and a blur, and the
 * list of those tasks with progress bars and cancel buttons. The blurred picture is drawn when
 * its task succeeds.
 */
export function mountWorkPanel(board: TaskBoard, report: (error: unknown) => void): void {
  const { errand } = board;
  const guard = (work: Promise<unknown>) => work.catch(report);

  byId("run-hash").addEventListener("click", () =>
    guard(errand.enqueue("hash", { megabytes: 48, seed: Date.now() % 1000 }, { timeout: 120_000 })),
  );
  byId("run-primes").addEventListener("click", () =>
    guard(errand.enqueue("primes", { limit: 40_000_000 }, { timeout: 120_000 })),
  );
  byId("run-blur").addEventListener("click", () =>
    guard(errand.enqueue("blur", { width: 640, height: 400, radius: 6, passes: 6 }, { timeout: 120_000 })),
  );

  const list = byId("work-list");
  const canvas = byId<HTMLCanvasElement>("blur-canvas");
  let drawn: string | undefined;
  board.subscribe(() => {
    const tasks = board.tasks(HEAVY).slice(0, 12);
    renderTasks(list, tasks, (task) => ({ summary: summarise(task), actions: actionsFor(task) }));
    const blurred = tasks.find((task) => task.type === "blur" && task.state === "succeeded");
    if (blurred && blurred.id !== drawn) {
      drawn = blurred.id;
      draw(canvas, blurred.result as { width: number; height: number; pixels: Uint8ClampedArray });
    }
  });

  function actionsFor(task: LocalTaskInfo) {
    return task.state === "pending" || task.state === "running"
      ? [{ label: "Cancel", run: () => void guard(errand.cancel(task.id)) }]
      : [];
  }
}

function summarise(task: LocalTaskInfo): string {
  if (task.state === "dead" || task.state === "cancelled") return describeError(task);
  if (task.state !== "succeeded") return "";
  const result = task.result as Record<string, unknown>;
  if (task.type === "hash") return `${result.megabytes} MiB → ${String(result.digest).slice(0, 16)}…`;
  if (task.type === "primes")
    return `${Number(result.count).toLocaleString()} primes below ${Number(result.limit).toLocaleString()}`;
  if (task.type === "blur") return `${result.width}×${result.height} blurred (drawn below)`;
  return "";
}

function draw(
  canvas: HTMLCanvasElement,
  image: { width: number; height: number; pixels: Uint8ClampedArray },
): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const pixels = new Uint8ClampedArray(image.pixels);
  canvas.getContext("2d")?.putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
  canvas.hidden = false;
}
