/**
 * The Web Lock an owner holds while it runs tasks. Other contexts read liveness from it: a lock
 * that is not held means its owner's page or worker is gone (the browser releases a closed
 * context's locks within milliseconds), whatever its lease says. Where the Web Locks API is
 * missing, liveness falls back to lease expiry alone.
 */

/** The lock name prefix of the owners of queue `dbName`. */
export function ownerLockPrefix(dbName: string): string {
  return `errand:${dbName}:owner:`;
}

/**
 * Takes the owner lock `prefix + owner` and resolves once it is held; `release()` lets it go.
 * The lock is taken before the owner claims anything, which {@link readLiveness} relies on.
 */
export async function holdOwnerLock(prefix: string, owner: string): Promise<{ release(): void }> {
  const locks = globalThis.navigator?.locks;
  if (locks === undefined) return { release() {} };
  let release = () => {};
  const held = new Promise<void>((granted) => {
    void locks.request(`${prefix}${owner}`, () => {
      granted();
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });
  });
  await held;
  return { release: () => release() };
}

/** Which owners of `prefix` hold their lock right now, for the claim's take-over rule. */
export async function readLiveness(prefix: string, aliveGraceMs: number): Promise<Liveness> {
  const locks = globalThis.navigator?.locks;
  const checkedAt = Date.now();
  if (locks === undefined) return { liveOwners: undefined, checkedAt, aliveGraceMs };
  const snapshot = await locks.query();
  const liveOwners = new Set<string>();
  for (const lock of snapshot.held ?? []) {
    if (lock.name?.startsWith(prefix)) liveOwners.add(lock.name.slice(prefix.length));
  }
  return { liveOwners, checkedAt, aliveGraceMs };
}

/** What the claimer knows about other owners, from one `navigator.locks.query()`. */
export interface Liveness {
  /**
   * Owners whose Web Lock was held when the query ran; `undefined` where the Web Locks API is
   * missing, and then the clock alone decides.
   */
  readonly liveOwners: ReadonlySet<string> | undefined;
  /** When the query ran (Unix ms). */
  readonly checkedAt: number;
  /**
   * How long past its expiry a lease whose owner is alive is still respected. An alive owner
   * renews its lease every third of `leaseMs`, but Chrome throttles a hidden tab's timers to once
   * a minute and freezes background tabs outright, so a late renewal is not proof of death.
   */
  readonly aliveGraceMs: number;
}
