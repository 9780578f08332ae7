import { ErrandError } from "@errand/core";
import { afterEach, describe, expect, it } from "vitest";
import { fakeEdge, grant, type SyncErrand, startErrand, within } from "./fixtures/fake-edge.ts";

const open: SyncErrand[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((errand) => within(errand.close(), 10_000, "still closing")));
});

const start = async (...args: Parameters<typeof startErrand>) => {
  const errand = await startErrand(...args);
  open.push(errand);
  return errand;
};

const unauthorized = () =>
  Response.json({ error: { code: "unauthorized", message: "expired" } }, { status: 401 });

describe("EdgeSync", () => {
  describe("when the edge refuses a token and the refresh fails", () => {
    it("keeps pushing after a refresh that failed for a passing reason", async () => {
      let calls = 0;
      const getToken = async () => {
        calls += 1;
        if (calls === 2)
          throw new ErrandError("token_unavailable", "token endpoint 503", { retryable: true });
        return grant(`t${calls}`);
      };
      // The edge refuses the first token (expired there), takes any other.
      const edge = fakeEdge({ post: (token) => (token === "t1" ? unauthorized() : undefined) });
      const errand = await start({ fetch: edge.fetch, getToken });
      const a = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => edge.effects).toEqual([a.id]);
      const b = await errand.enqueue("demo.echo", { b: 1 }, { target: "edge" });
      await expect.poll(() => edge.effects).toEqual([a.id, b.id]);
      expect(errand.syncState()?.paused).toBeUndefined();
    });

    it("pauses when the refresh is refused", async () => {
      let calls = 0;
      const getToken = async () => {
        calls += 1;
        if (calls === 2) throw new ErrandError("token_refused", "signed out", { retryable: false });
        return grant(`t${calls}`);
      };
      const edge = fakeEdge({ post: (token) => (token === "t1" ? unauthorized() : undefined) });
      const errand = await start({ fetch: edge.fetch, getToken });
      await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => errand.syncState()?.paused).toBe("unauthorized");
      expect(edge.effects).toEqual([]);
    });
  });
});
