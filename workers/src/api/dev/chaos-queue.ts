/**
 * Test-only: a queue producer that shuffles, duplicates and delays what it sends. Miniflare's
 * queues deliver in order, one batch at a time, exactly once, so without this an ordering,
 * dedupe or retry test could pass with no ordering, dedupe or retry code. Only the test entry
 * wraps bindings with it, when `QUEUE_CHAOS` is set.
 */

/** How chaotic sends are. */
export interface ChaosSettings {
  /** Probability that a message is sent twice. */
  duplicate: number;
  /** Each copy waits a random whole number of seconds from 0 to this more than asked. */
  maxDelaySeconds: number;
  /** Whether a batch's messages are sent in random order. */
  shuffle: boolean;
}

/** Parses settings from JSON; undefined when absent or malformed. */
export function parseChaos(json: string | undefined): ChaosSettings | undefined {
  if (!json) return undefined;
  try {
    const raw = JSON.parse(json) as Partial<ChaosSettings>;
    return {
      duplicate: clamp(Number(raw.duplicate ?? 0), 0, 1),
      maxDelaySeconds: clamp(Math.floor(Number(raw.maxDelaySeconds ?? 0)), 0, 60),
      shuffle: raw.shuffle !== false,
    };
  } catch {
    return undefined;
  }
}

/** Wraps a producer binding so every send goes through the chaos. */
export function chaoticQueue<T>(
  queue: Queue<T>,
  settings: () => ChaosSettings,
  random = Math.random,
): Queue<T> {
  const spread = (messages: MessageSendRequest<T>[]): MessageSendRequest<T>[] => {
    const s = settings();
    const copies = messages.flatMap((m) => (random() < s.duplicate ? [m, m] : [m]));
    const delayed = copies.map((m) => {
      const extra = Math.floor(random() * (s.maxDelaySeconds + 1));
      const delaySeconds = (m.delaySeconds ?? 0) + extra;
      return delaySeconds > 0 ? { ...m, delaySeconds } : m;
    });
    return s.shuffle ? shuffle(delayed, random) : delayed;
  };
  const sendBatch = async (
    messages: Iterable<MessageSendRequest<T>>,
    options?: QueueSendBatchOptions,
  ): Promise<QueueSendBatchResponse> => {
    const all = spread([...messages]);
    let last: QueueSendBatchResponse = { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    for (let i = 0; i < all.length; i += 100) last = await queue.sendBatch(all.slice(i, i + 100), options);
    return last;
  };
  return {
    send: async (body: T, options?: QueueSendOptions) => sendBatch([{ body, ...options }]),
    sendBatch,
    metrics: () => queue.metrics(),
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : min;
}
