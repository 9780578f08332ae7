import type { Errand, ErrandStats, TaskInfo } from "@errand/client";
import { useState } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it, vi } from "vitest";
import { render, settle, startErrand, type Tasks } from "./fixtures/harness.tsx";
import { useEnqueue, useStats, useTask, useTasks } from "./hooks.ts";

function Ids({ state, seen }: { state: "running" | "succeeded"; seen: (readonly TaskInfo[] | undefined)[] }) {
  const list = useTasks({ state });
  seen.push(list);
  return <p>{list === undefined ? "loading" : list.map((task) => task.type).join(",")}</p>;
}

function Counts({ seen, intervalMs }: { seen: (ErrandStats | undefined)[]; intervalMs?: number }) {
  const stats = useStats(intervalMs === undefined ? {} : { intervalMs });
  seen.push(stats);
  return <p>{stats === undefined ? "loading" : `${stats.counts.running} ${stats.counts.succeeded}`}</p>;
}

function Enqueuer({ control }: { control: { rerender: () => void; seen: Set<unknown>; renders: number } }) {
  const enqueue = useEnqueue<Tasks>();
  const [, setCount] = useState(0);
  control.rerender = () => setCount((n) => n + 1);
  control.seen.add(enqueue);
  control.renders += 1;
  return (
    <button type="button" onClick={() => void enqueue("other", { text: "clicked" })}>
      add
    </button>
  );
}

function Status() {
  return <p>{useTask("any")?.state}</p>;
}

describe("useTasks", () => {
  it("lists the tasks its filter selects, and follows them as they change state", async () => {
    const { errand, running } = await startErrand();
    await errand.enqueueMany([
      { type: "step", payload: { n: 1 } },
      { type: "step", payload: { n: 2 } },
    ]);
    const container = render(errand, <Ids state="running" seen={[]} />);
    await expect.poll(() => container.textContent).toBe("step,step");
    running.get(1)?.finish();
    await expect.poll(() => container.textContent).toBe("step");
    running.get(2)?.finish();
    await expect.poll(() => container.textContent).toBe("");
  });

  it("keeps the same array, and renders nothing, while no task it lists changed", async () => {
    const { errand, running } = await startErrand();
    await (await errand.enqueue("other", { text: "a" })).result();
    const seen: (readonly TaskInfo[] | undefined)[] = [];
    const container = render(errand, <Ids state="succeeded" seen={seen} />);
    await expect.poll(() => container.textContent).toBe("other");
    await settle();
    const before = seen.length;

    await errand.enqueue("step", { n: 1 });
    await expect.poll(() => running.has(1)).toBe(true);
    await settle();
    expect(seen.length).toBe(before);

    running.get(1)?.finish();
    await expect.poll(() => container.textContent).toBe("other,step");
    expect(seen.at(-1)?.[0]).toBe(seen[before - 1]?.[0]);
  });
});

describe("useStats", () => {
  it("counts tasks by state, and follows them", async () => {
    const { errand, running } = await startErrand();
    await errand.enqueueMany([
      { type: "step", payload: { n: 1 } },
      { type: "step", payload: { n: 2 } },
    ]);
    const container = render(errand, <Counts seen={[]} intervalMs={10} />);
    await expect.poll(() => container.textContent).toBe("2 0");
    running.get(1)?.finish();
    running.get(2)?.finish();
    await expect.poll(() => container.textContent).toBe("0 2");
  });

  it("reads the stats at most once per interval however many tasks change", async () => {
    const { errand } = await startErrand();
    const reads = vi.spyOn(errand, "stats");
    const container = render(errand, <Counts seen={[]} intervalMs={600_000} />);
    await expect.poll(() => container.textContent).toBe("0 0");
    const handles = await errand.enqueueMany(
      Array.from({ length: 100 }, (_, i) => ({ type: "other" as const, payload: { text: `${i}` } })),
    );
    await Promise.all(handles.map((handle) => handle.result()));
    await settle();
    expect(reads).toHaveBeenCalledTimes(1);
  });
});

describe("useEnqueue", () => {
  it("returns the same function on every render, which enqueues a typed task", async () => {
    const { errand } = await startErrand();
    const control = { rerender: () => {}, seen: new Set<unknown>(), renders: 0 };
    const container = render(errand, <Enqueuer control={control} />);
    await expect.poll(() => control.renders).toBe(1);
    control.rerender();
    await expect.poll(() => control.renders).toBe(2);
    control.rerender();
    await expect.poll(() => control.renders).toBe(3);
    expect(control.seen.size).toBe(1);

    container.querySelector("button")?.click();
    await expect
      .poll(async () => (await errand.list({ type: "other" })).map((t) => t.payload))
      .toEqual([{ text: "clicked" }]);
    const typed = (enqueue: Errand<Tasks>["enqueue"]) => {
      // @ts-expect-error: an "other" task's payload is { text: string }
      void enqueue("other", { n: 1 });
    };
    expect(typed).toBeTypeOf("function");
  });
});

describe("when no provider is above", () => {
  it("throws, naming the provider", async () => {
    const container = document.createElement("div");
    const errors: unknown[] = [];
    const root = createRoot(container, { onUncaughtError: (error) => errors.push(error) });
    root.render(<Status />);
    await expect.poll(() => errors.length).toBe(1);
    root.unmount();
    expect(String(errors[0])).toContain("<ErrandProvider");
  });
});
