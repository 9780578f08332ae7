import { describe, expect, it } from "vitest";
import { issuesOf } from "../fixtures/issues.ts";
import { EdgeFacade } from "./edge-facade.ts";

describe("EdgeFacade.enqueueMany", () => {
  it("refuses a batch that mixes local and edge tasks before it needs an edge", () => {
    // No edge attached: a call that got past the check would fail with no_edge instead.
    const facade = new EdgeFacade();
    expect(
      issuesOf(() =>
        facade.enqueueMany([
          { type: "work", payload: {}, options: { target: "edge" } },
          { type: "work", payload: {}, options: {} },
        ]),
      ),
    ).toEqual(["items"]);
  });
});
