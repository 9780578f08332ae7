import { useState } from "react";
import { describe, expect, it } from "vitest";
import { render, settle, startErrand } from "./fixtures/harness.tsx";
import { useTask } from "./hooks.ts";

function Status({ id }: { id: string }) {
  const task = useTask(id);
  if (task === undefined) return <p>loading</p>;
  if (task === null) return <p>none</p>;
  const progress = "progress" in task && task.progress !== undefined ? ` ${task.progress}` : "";
  return (
    <p>
      {task.state}
      {progress}
    </p>
  );
}

/** Shows task `first`, then whichever task `control.show` names. */
function Switch({ first, control }: { first: string; control: { show: (id: string) => void } }) {
  const [id, setId] = useState(first);
  control.show = setId;
  return <Status id={id} />;
}

/** One row of the 1,000: counts its renders through `onRender`. */
function Row({ id, onRender }: { id: string; onRender: () => void }) {
  onRender();
  const task = useTask(id);
  const progress = task != null && "progress" in task ? task.progress : undefined;
  return <li data-progress={progress ?? ""}>{task?.state ?? "loading"}</li>;
}

describe("useTask", () => {
  it("shows a task loading, then each change of it until it succeeds", async () => {
    const { errand, running } = await startErrand();
    const { id } = await errand.enqueue("step", { n: 1 });
    const seen: string[] = [];
    const container = render(errand, <Status id={id} />);
    const observer = new MutationObserver(() => seen.push(container.textContent ?? ""));
    observer.observe(container, { subtree: true, childList: true, characterData: true });
    await expect.poll(() => running.has(1)).toBe(true);
    await expect.poll(() => container.textContent).toBe("running");

    running.get(1)?.ctx.progress(0.5);
    await expect.poll(() => container.textContent).toBe("running 0.5");
    running.get(1)?.finish();
    await expect.poll(() => container.textContent).toBe("succeeded");
    observer.disconnect();
    expect(seen.at(0)).toBe("loading");
  });

  it("shows null for an id that no task has", async () => {
    const { errand } = await startErrand();
    const container = render(errand, <Status id="no-such-task" />);
    await expect.poll(() => container.textContent).toBe("none");
  });

  it("follows another task when its id changes", async () => {
    const { errand, running } = await startErrand();
    const first = await errand.enqueue("step", { n: 1 });
    const second = await errand.enqueue("other", { text: "done" });
    const control = { show: (_id: string) => {} };
    const container = render(errand, <Switch first={first.id} control={control} />);
    await expect.poll(() => container.textContent).toBe("running");
    control.show(second.id);
    await expect.poll(() => container.textContent).toBe("succeeded");
    running.get(1)?.ctx.progress(0.5);
    await settle();
    expect(container.textContent).toBe("succeeded");
  });
});

describe("when 1,000 tasks progress", () => {
  const N = 1_000;

  it("re-renders only the rows whose task changed", async () => {
    const { errand, running } = await startErrand({ concurrency: N, prefetch: N });
    const handles = await errand.enqueueMany(
      Array.from({ length: N }, (_, n) => ({ type: "step" as const, payload: { n } })),
    );
    await expect.poll(() => running.size).toBe(N);

    const renders = new Array<number>(N).fill(0);
    const container = render(
      errand,
      <ul>
        {handles.map(({ id }, n) => (
          <Row key={id} id={id} onRender={() => (renders[n] = (renders[n] ?? 0) + 1)} />
        ))}
      </ul>,
    );
    const rows = () => [...container.querySelectorAll("li")];
    await expect.poll(() => rows().filter((li) => li.textContent === "running").length).toBe(N);
    await settle();
    renders.fill(0);

    const even = (n: number) => n % 2 === 0;
    for (const [n, { ctx }] of running) if (even(n)) ctx.progress(0.5);
    await expect.poll(() => rows().filter((li) => li.dataset.progress === "0.5").length).toBe(N / 2);
    await settle();
    expect(renders.filter((count, n) => !even(n) && count > 0).length).toBe(0);
    expect(renders.filter((count, n) => even(n) && count === 1).length).toBe(N / 2);

    renders.fill(0);
    for (const [n, { ctx }] of running) if (!even(n)) ctx.progress(0.25);
    await expect.poll(() => rows().filter((li) => li.dataset.progress === "0.25").length).toBe(N / 2);
    await settle();
    expect(renders.filter((count, n) => even(n) && count > 0).length).toBe(0);
    expect(renders.filter((count, n) => !even(n) && count === 1).length).toBe(N / 2);

    renders.fill(0);
    for (const n of [7, 500, 999]) running.get(n)?.finish();
    await expect.poll(() => rows().filter((li) => li.textContent === "succeeded").length).toBe(3);
    await settle();
    expect(renders.flatMap((count, n) => (count > 0 ? [n] : []))).toEqual([7, 500, 999]);
  });
});
