import { CancelledError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { createOnlineManager } from "../browser/online-manager.ts";
import { fakeEdge, grant, startedErrands } from "../fixtures/fake-edge.ts";

const { start } = startedErrands();

/** An online manager the test switches with `setOnline`; the browser's own view is left out. */
const switchable = () => createOnlineManager({ onLine: () => true, listen: () => () => {} });

describe("cancel of an edge task", () => {
  describe("when the task is not sent yet", () => {
    it("ends it cancelled at once and never sends it", async () => {
      const edge = fakeEdge();
      const online = switchable();
      online.setOnline(false);
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t"), online });
      const doomed = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect(errand.cancel(doomed.id)).resolves.toBe(true);
      expect((await errand.edgeTask(doomed.id))?.state).toBe("cancelled");
      await expect(doomed.result()).rejects.toBeInstanceOf(CancelledError);

      online.setOnline(true);
      const kept = await errand.enqueue("demo.echo", { b: 1 }, { target: "edge" });
      await expect.poll(() => edge.effects).toEqual([kept.id]);
      expect(edge.log.join(" ")).not.toContain(doomed.id);
      await expect(errand.cancel(doomed.id)).resolves.toBe(false);
    });
  });

  describe("when the task is cancelled here while its push is in flight", () => {
    it("sends the edge's cancel once the edge answers that it took the task", async () => {
      let release: () => void = () => {};
      const answered = new Promise<void>((resolve) => {
        release = resolve;
      });
      let id = "";
      const edge = fakeEdge({
        post: (_token, n) =>
          n > 1 ? undefined : answered.then(() => Response.json({ results: [{ id, status: "accepted" }] })),
      });
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const handle = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      id = handle.id;
      await expect.poll(() => edge.log).toEqual([`push ${id}`]);
      await expect(errand.cancel(id)).resolves.toBe(true);
      expect((await errand.edgeTask(id))?.state).toBe("cancelled");

      release();
      await expect.poll(() => edge.log).toEqual([`push ${id}`, `cancel ${id}`]);
      await expect.poll(async () => (await errand.edgeTask(id))?.cancel).toBeUndefined();
      expect((await errand.edgeTask(id))?.state).toBe("cancelled");
    });
  });

  describe("when the edge holds the task", () => {
    it("calls the edge's cancel and ends the task cancelled with the edge's answer", async () => {
      const edge = fakeEdge({ hold: true });
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const handle = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(async () => (await errand.edgeTask(handle.id))?.state).toBe("sent");
      await expect(errand.cancel(handle.id)).resolves.toBe(true);
      await expect.poll(async () => (await errand.edgeTask(handle.id))?.state).toBe("cancelled");
      expect(edge.log).toEqual([`push ${handle.id}`, `cancel ${handle.id}`]);
      expect((await errand.edgeTask(handle.id))?.edgeStatus).toBe("cancelled");
      await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
    });

    it("leaves the task as the edge ends it when the edge answers already_final", async () => {
      // The edge finishes the task just before the cancel arrives: 409, then `delivered`.
      let holding = true;
      const edge = fakeEdge({
        get hold() {
          return holding;
        },
        cancel: () => {
          holding = false;
          return undefined;
        },
      });
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const handle = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(async () => (await errand.edgeTask(handle.id))?.state).toBe("sent");
      await expect(errand.cancel(handle.id)).resolves.toBe(true);
      await expect.poll(async () => (await errand.edgeTask(handle.id))?.state).toBe("succeeded");
      expect(edge.log).toEqual([`push ${handle.id}`, `cancel ${handle.id}`]);
      expect((await errand.edgeTask(handle.id))?.cancel).toBeUndefined();
      await expect(handle.result()).resolves.toBeUndefined();
    });

    it("keeps the cancel while offline and sends it before the next task of its key", async () => {
      const edge = fakeEdge({ hold: true });
      const online = switchable();
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t"), online });
      const first = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge", orderingKey: "k" });
      await expect.poll(async () => (await errand.edgeTask(first.id))?.state).toBe("sent");

      online.setOnline(false);
      await expect(errand.cancel(first.id)).resolves.toBe(true);
      const next = await errand.enqueue("demo.echo", { b: 1 }, { target: "edge", orderingKey: "k" });
      const waiting = await errand.edgeTask(first.id);
      expect(waiting?.state).toBe("sent");
      expect(waiting?.cancel).toMatchObject({ attempts: 0 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(edge.log).toEqual([`push ${first.id}`]);

      online.setOnline(true);
      await expect.poll(async () => (await errand.edgeTask(first.id))?.state).toBe("cancelled");
      await expect
        .poll(() => edge.log)
        .toEqual([`push ${first.id}`, `cancel ${first.id}`, `push ${next.id}`]);
    });

    it("holds back the next task of its key while its cancel waits for a retry", async () => {
      let busy = true;
      const edge = fakeEdge({
        hold: true,
        cancel: () =>
          busy
            ? Response.json({ error: { code: "internal_error", message: "busy" } }, { status: 503 })
            : undefined,
      });
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const first = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge", orderingKey: "k" });
      await expect.poll(async () => (await errand.edgeTask(first.id))?.state).toBe("sent");
      await errand.cancel(first.id);
      await expect
        .poll(async () => (await errand.edgeTask(first.id))?.cancel?.attempts ?? 0)
        .toBeGreaterThan(0);
      const next = await errand.enqueue("demo.echo", { b: 1 }, { target: "edge", orderingKey: "k" });
      const other = await errand.enqueue("demo.echo", { c: 1 }, { target: "edge", orderingKey: "other" });
      await expect.poll(() => edge.effects).toContain(other.id);
      expect(edge.effects).not.toContain(next.id);

      busy = false;
      await expect.poll(async () => (await errand.edgeTask(first.id))?.state).toBe("cancelled");
      await expect.poll(() => edge.effects).toContain(next.id);
      const log = edge.log.filter((line) => !line.startsWith("push ") || line.includes(next.id));
      expect(log.at(-1)).toBe(`push ${next.id}`);
      expect(log.at(-2)).toBe(`cancel ${first.id}`);
    });
  });
});
