/**
 * A setting the page owns and workers read live, over a BroadcastChannel: the page answers
 * "get" requests and announces changes, so a worker started after the last change still
 * learns the current value. Used for the flaky service's failure rate, so lowering the slider
 * and replaying a dead letter lets it succeed.
 */
export interface LiveSettingMessage {
  readonly kind: "get" | "value";
  readonly value?: number;
}

/** The page side: owns the value, announces it and answers requests. */
export function publishSetting(name: string, read: () => number): { announce: () => void } {
  const channel = new BroadcastChannel(name);
  const announce = () => channel.postMessage({ kind: "value", value: read() } satisfies LiveSettingMessage);
  channel.onmessage = (event: MessageEvent<LiveSettingMessage>) => {
    if (event.data.kind === "get") announce();
  };
  return { announce };
}

/**
 * The worker side: the latest value the page announced. Asks once and waits up to `waitMs`
 * for an answer; without a page (all tabs closed), `fallback`.
 */
export function subscribeSetting(name: string): (fallback: number, waitMs?: number) => Promise<number> {
  const channel = new BroadcastChannel(name);
  let latest: number | undefined;
  const waiters = new Set<(value: number) => void>();
  channel.onmessage = (event: MessageEvent<LiveSettingMessage>) => {
    if (event.data.kind !== "value" || typeof event.data.value !== "number") return;
    latest = event.data.value;
    for (const wake of waiters) wake(latest);
    waiters.clear();
  };
  return async (fallback, waitMs = 250) => {
    if (latest !== undefined) return latest;
    channel.postMessage({ kind: "get" } satisfies LiveSettingMessage);
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(wake);
        resolve(latest ?? fallback);
      }, waitMs);
      const wake = (value: number) => {
        clearTimeout(timer);
        resolve(value);
      };
      waiters.add(wake);
    });
  };
}
