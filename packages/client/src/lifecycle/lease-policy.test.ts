import { describe, expect, it } from "vitest";
import { abandonableAt, isAbandoned } from "./lease-policy.ts";

const lease = { owner: "a", token: 1, claimedAt: 1_000, expiresAt: 2_000 };
const grace = 10_000;

describe("isAbandoned", () => {
  it("takes over a lease before it expires when its owner holds no Web Lock (the tab closed or reloaded)", () => {
    const gone = { liveOwners: new Set<string>(), checkedAt: 1_500, aliveGraceMs: grace };
    expect(isAbandoned(lease, 1_500, gone)).toBe(true);
    expect(abandonableAt(lease, gone)).toBe(1_500);
  });

  it("never takes over a lease before it expires while its owner may be alive", () => {
    for (const liveness of [
      { liveOwners: new Set(["a"]), checkedAt: 1_500, aliveGraceMs: grace },
      { liveOwners: new Set<string>(), checkedAt: 900, aliveGraceMs: grace },
      { liveOwners: undefined, checkedAt: 1_500, aliveGraceMs: grace },
    ]) {
      expect(isAbandoned(lease, 1_999, liveness)).toBe(false);
    }
  });

  describe("when the lease expired", () => {
    it("takes over at once when the owner holds no Web Lock", () => {
      expect(
        isAbandoned(lease, 2_000, { liveOwners: new Set(["b"]), checkedAt: 1_999, aliveGraceMs: grace }),
      ).toBe(true);
      expect(abandonableAt(lease, { liveOwners: new Set(), checkedAt: 0, aliveGraceMs: grace })).toBe(2_000);
    });

    it("waits out the grace period when the owner still holds its lock (throttled or frozen)", () => {
      const alive = { liveOwners: new Set(["a"]), checkedAt: 2_500, aliveGraceMs: grace };
      expect(isAbandoned(lease, 2_500, alive)).toBe(false);
      expect(isAbandoned(lease, 12_000, alive)).toBe(true);
      expect(abandonableAt(lease, alive)).toBe(12_000);
    });

    it("counts an owner that claimed after the lock query as alive", () => {
      expect(isAbandoned(lease, 3_000, { liveOwners: new Set(), checkedAt: 900, aliveGraceMs: grace })).toBe(
        false,
      );
    });

    it("trusts the clock alone where Web Locks are missing", () => {
      expect(
        isAbandoned(lease, 2_000, { liveOwners: undefined, checkedAt: 2_000, aliveGraceMs: grace }),
      ).toBe(true);
    });
  });
});
