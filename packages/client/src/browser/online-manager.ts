/**
 * Whether the edge is worth trying now. Three inputs, like TanStack Query's `onlineManager`
 * but with request outcomes too: `navigator.onLine`, the `online`/`offline` events, and what
 * the last request saw (a network failure while `navigator.onLine` still says true means the
 * edge is unreachable; any answer from the edge means it is reachable). Every browser input is
 * injected, so tests and a service worker pass their own.
 */

/** The browser parts the manager listens to. */
export interface OnlineSource {
  /** `navigator.onLine`, read on demand. */
  readonly onLine: () => boolean;
  /** Listens to `online` / `offline`; returns the unsubscribe function. */
  readonly listen: (onChange: (online: boolean) => void) => () => void;
}

/** Tells the sync when it may push. */
export interface OnlineManager {
  /** True unless the browser is offline or the last request could not reach the edge. */
  isOnline(): boolean;
  /**
   * True when only a failed request says offline (the browser says online and nothing forces
   * offline), so a timer may try the edge again to find out; false when the browser is offline
   * or {@link setOnline}`(false)` forces it, and nothing may be sent.
   */
  mayProbe(): boolean;
  /** Calls `listener` on every change of {@link isOnline}; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
  /** A request reached the edge (any HTTP answer). */
  reportReachable(): void;
  /** A request failed before any answer (DNS, refused, reset, offline). */
  reportUnreachable(): void;
  /** Overrides the browser's view (true / false), or goes back to it (undefined). For tests. */
  setOnline(online: boolean | undefined): void;
  /** Stops listening to the browser. */
  close(): void;
}

/**
 * The source for a window or worker global: `navigator.onLine` and its events. A tab that comes
 * back to the front (`focus`, `visibilitychange` to visible) reports the network as it is too, so
 * a failure seen while it was hidden is tried again at once: engines without Background Sync
 * (Firefox, Safari) drain the outbox when the person returns, not only on `online` or a timer.
 */
export function browserOnlineSource(target: typeof globalThis = globalThis): OnlineSource {
  const onLine = () => target.navigator?.onLine ?? true;
  return {
    onLine,
    listen(onChange) {
      if (typeof target.addEventListener !== "function") return () => {};
      const online = () => onChange(true);
      const offline = () => onChange(false);
      const front = () => {
        if (target.document?.visibilityState !== "hidden") onChange(onLine());
      };
      const events: [string, () => void][] = [
        ["online", online],
        ["offline", offline],
        ["focus", front],
        ["visibilitychange", front],
      ];
      for (const [name, listener] of events) target.addEventListener(name, listener);
      return () => {
        for (const [name, listener] of events) target.removeEventListener(name, listener);
      };
    },
  };
}

/**
 * A manager over `source` (the browser's by default).
 *
 * @example
 * ```ts
 * const online = createOnlineManager();
 * online.subscribe((up) => up && outbox.wake());
 * ```
 */
export function createOnlineManager(source: OnlineSource = browserOnlineSource()): OnlineManager {
  const listeners = new Set<(online: boolean) => void>();
  let forced: boolean | undefined;
  let unreachable = false;
  let last = compute();

  function compute(): boolean {
    return forced ?? (source.onLine() && !unreachable);
  }
  function changed(): void {
    const now = compute();
    if (now === last) return;
    last = now;
    for (const listener of [...listeners]) listener(now);
  }
  const stop = source.listen((online) => {
    // The network came back: whatever failed before deserves a try at once.
    if (online) unreachable = false;
    changed();
  });

  return {
    isOnline: () => last,
    mayProbe: () => forced === undefined && source.onLine(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportReachable() {
      unreachable = false;
      changed();
    },
    reportUnreachable() {
      unreachable = true;
      changed();
    },
    setOnline(online) {
      forced = online;
      changed();
    },
    close() {
      stop();
      listeners.clear();
    },
  };
}
