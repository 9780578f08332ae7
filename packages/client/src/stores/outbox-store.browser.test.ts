import { afterEach, describe, expect, it } from "vitest";
import { pendingRecord, pendingRequest } from "../fixtures/records.ts";
import { openShippedLayout } from "../fixtures/shipped-schema.ts";
import type { RequestRecord } from "../lifecycle/request-record.ts";
import { DEFAULT_RETENTION } from "../runtime/runtime-options.ts";
import { openQueueDb, type QueueDb } from "./db.ts";
import { OutboxStore } from "./outbox-store.ts";

const listeners = { onVersionChange() {}, onTerminated() {} };
let db: QueueDb | undefined;
afterEach(() => db?.close());

async function freshStore(): Promise<OutboxStore> {
  db = await openQueueDb(`outbox-${crypto.randomUUID()}`, listeners);
  return new OutboxStore(db);
}
const unnumbered = (overrides: Parameters<typeof pendingRecord>[0] = {}) => {
  const { seq: _seq, ...rest } = pendingRecord({ id: crypto.randomUUID(), ...overrides });
  return rest;
};
const DAY = 86_400_000;

/** Counts the records every `getAll` returns while it is installed, through any store or index. */
function countRecordsRead(): { count(): number; restore(): void } {
  let count = 0;
  const restores = [IDBIndex.prototype, IDBObjectStore.prototype].map((proto) => {
    const original = proto.getAll;
    proto.getAll = function (this: IDBIndex & IDBObjectStore, ...args: Parameters<IDBIndex["getAll"]>) {
      const read = original.apply(this, args);
      read.addEventListener("success", () => {
        count += read.result.length;
      });
      return read;
    };
    return () => {
      proto.getAll = original;
    };
  });
  return {
    count: () => count,
    restore: () => {
      for (const restore of restores) restore();
    },
  };
}

describe("OutboxStore", () => {
  it("numbers records in commit order across transactions", async () => {
    const store = await freshStore();
    const first = await store.add([unnumbered(), unnumbered()]);
    const second = await store.add([unnumbered()]);
    expect([...first, ...second].map((a) => a.record.seq)).toEqual([1, 2, 3]);
  });

  it("lists a subject's records by state and nobody else's", async () => {
    const store = await freshStore();
    const [ada] = await store.add([unnumbered({ subject: "ada" }), unnumbered({ subject: "bob" })]);
    expect((await store.inState("ada", "pending")).map((r) => r.id)).toEqual([ada?.record.id]);
    expect(await store.inState("ada", "sent")).toEqual([]);
  });

  it("applies events through the transition and commits only real changes", async () => {
    const store = await freshStore();
    const [record] = await store.add([unnumbered()]);
    const id = record?.record.id ?? "";
    const changed = await store.apply([
      { id, event: { type: "sent", now: 5 } },
      { id, event: { type: "sent", now: 6 } },
      { id: "missing", event: { type: "sent", now: 6 } },
    ]);
    expect(changed.map((c) => [c.before.state, c.after.state])).toEqual([["pending", "sent"]]);
    expect(await store.get(id)).toMatchObject({ state: "sent", updatedAt: 5 });
  });

  it("drops everything of one subject on sign-out, requests included, and keeps the others'", async () => {
    const store = await freshStore();
    await store.add([unnumbered({ subject: "ada" }), unnumbered({ subject: "ada", state: "sent" })]);
    const [bob] = await store.add([unnumbered({ subject: "bob" })]);
    await store.addRequest(pendingRequest({ id: "r1" }));
    expect(await store.dropSubject("ada")).toBe(3);
    expect((await store.list()).map((r) => r.id)).toEqual([bob?.record.id]);
    expect(await store.getRequest("r1")).toBeUndefined();
  });

  it("answers the holder of a dedup key instead of a second record, stored or in the same call", async () => {
    const store = await freshStore();
    const [first] = await store.add([unnumbered({ dedupKey: "once" })]);
    const added = await store.add([
      unnumbered({ dedupKey: "once" }),
      unnumbered({ dedupKey: "twice" }),
      unnumbered({ dedupKey: "twice" }),
      unnumbered({ dedupKey: "once", subject: "bob" }),
    ]);
    expect(added.map((a) => a.created)).toEqual([false, true, false, true]);
    expect(added[0]?.record.id).toBe(first?.record.id);
    expect(added[2]?.record.id).toBe(added[1]?.record.id);
    expect(await store.list("ada")).toHaveLength(2);
  });

  it("finds the holder of a dedup key without reading the subject's other records", async () => {
    const store = await freshStore();
    await store.add(Array.from({ length: 50 }, (_, i) => unnumbered({ dedupKey: `other-${i}` })));
    await store.add(Array.from({ length: 50 }, () => unnumbered()));
    const [holder] = await store.add([unnumbered({ dedupKey: "once" })]);
    const reads = countRecordsRead();
    try {
      const [again] = await store.add([unnumbered({ dedupKey: "once" })]);
      expect(again).toMatchObject({ created: false, record: { id: holder?.record.id } });
    } finally {
      reads.restore();
    }
    expect(reads.count()).toBe(1);
  });

  it("lets a task take a dedup key that a task refused by the edge held", async () => {
    const store = await freshStore();
    const [refused] = await store.add([unnumbered({ dedupKey: "once" })]);
    const error = { name: "ErrandError", code: "unknown_topic", message: "no", retryable: false };
    await store.apply([{ id: refused?.record.id ?? "", event: { type: "reject", now: 1, error } }]);
    const [again] = await store.add([unnumbered({ dedupKey: "once" })]);
    expect(again?.created).toBe(true);
  });

  it("sweeps final records and finished requests past their state's retention, and nothing else", async () => {
    const store = await freshStore();
    const now = 10 * DAY;
    const retention = { succeeded: 100, cancelled: 100, dead: 1_000 };
    const final = (id: string, state: "succeeded" | "dead" | "cancelled", age: number) =>
      unnumbered({ id, state, finishedAt: now - age, edgeStatus: state });
    await store.add([
      final("succeeded-due", "succeeded", 100),
      final("succeeded-young", "succeeded", 99),
      final("cancelled-due", "cancelled", 200),
      final("dead-young", "dead", 500),
      final("dead-due", "dead", 1_000),
      unnumbered({ id: "pending" }),
      unnumbered({ id: "sent", state: "sent", edgeStatus: "queued" }),
    ]);
    await store.addRequest(
      pendingRequest({ id: "r-succeeded-due", state: "succeeded", finishedAt: now - 100 }),
    );
    await store.addRequest(pendingRequest({ id: "r-dead-young", state: "dead", finishedAt: now - 500 }));
    await store.addRequest(pendingRequest({ id: "r-pending" }));

    expect(await store.sweep(now, retention)).toBe(4);
    expect((await store.list()).map((r) => r.id).sort()).toEqual([
      "dead-young",
      "pending",
      "sent",
      "succeeded-young",
    ]);
    expect(await store.getRequest("r-succeeded-due")).toBeUndefined();
    expect(await store.getRequest("r-dead-young")).toBeDefined();
    expect(await store.getRequest("r-pending")).toBeDefined();
    expect(await store.sweep(now, retention)).toBe(0);
  });

  it("remembers the last subject until told to forget it", async () => {
    const store = await freshStore();
    expect(await store.lastSubject()).toBeUndefined();
    await store.setLastSubject("ada");
    expect(await store.lastSubject()).toBe("ada");
    await store.setLastSubject(undefined);
    expect(await store.lastSubject()).toBeUndefined();
  });

  describe("when the database was written by version 4 of the schema", () => {
    it("finds a sent task's cancel after the upgrade, in the order cancels were asked for", async () => {
      const name = `outbox-${crypto.randomUUID()}`;
      const v4 = await openShippedLayout(name, 4);
      await v4.put("outbox", pendingRecord({ id: "a", seq: 1, state: "sent" }));
      await v4.put("outbox", pendingRecord({ id: "b", seq: 2, state: "sent" }));
      await v4.put("outbox", pendingRecord({ id: "c", seq: 3, state: "sent", subject: "bob" }));
      await v4.put("counters", 3, "sync:seq");
      v4.close();

      db = await openQueueDb(name, listeners);
      const store = new OutboxStore(db);
      expect(await store.withCancels("ada")).toEqual([]);
      await store.cancel("b", 10);
      await store.cancel("a", 11);
      await store.cancel("c", 12);
      expect((await store.withCancels("ada")).map((r) => [r.id, r.cancel?.seq])).toEqual([
        ["b", 4],
        ["a", 5],
      ]);
      expect((await store.withCancels("bob")).map((r) => r.id)).toEqual(["c"]);
      const [after] = await store.add([unnumbered({})]);
      expect(after?.record.seq).toBe(7);
    });
  });

  describe("when the database was written by version 3 of the schema", () => {
    it("indexes the stored records by dedup key and finish time, and stamps final requests", async () => {
      const name = `outbox-${crypto.randomUUID()}`;
      const now = Date.now();
      const v3 = await openShippedLayout(name, 3);
      await v3.put("outbox", pendingRecord({ id: "held", seq: 1, dedupKey: "once", state: "sent" }));
      await v3.put(
        "outbox",
        pendingRecord({
          id: "old",
          seq: 2,
          dedupKey: "done",
          state: "succeeded",
          edgeStatus: "delivered",
          finishedAt: now - 2 * DAY,
        }),
      );
      await v3.put("counters", 4, "sync:seq");
      const stored = (id: string, seq: number, state: RequestRecord["state"], updatedAt: number) =>
        v3.put("requests", { ...pendingRequest({ id, state, updatedAt }), seq });
      await stored("r-old", 3, "succeeded", now - 2 * DAY);
      await stored("r-new", 4, "dead", now - 1_000);
      await stored("r-pending", 5, "pending", now - 2 * DAY);
      v3.close();

      db = await openQueueDb(name, listeners);
      const store = new OutboxStore(db);
      expect(db.version).toBe(5);
      expect([...db.transaction("outbox").store.indexNames].sort()).toEqual([
        "cancels",
        "dedup",
        "finished",
        "subject",
      ]);
      expect([...db.transaction("requests").store.indexNames].sort()).toEqual(["finished", "subject"]);
      expect(await store.getRequest("r-new")).toMatchObject({ finishedAt: now - 1_000 });
      expect((await store.getRequest("r-pending"))?.finishedAt).toBeUndefined();

      const [held, done] = await store.add([
        unnumbered({ dedupKey: "once" }),
        unnumbered({ dedupKey: "done" }),
      ]);
      expect([held?.record.id, held?.created, done?.record.id, done?.created]).toEqual([
        "held",
        false,
        "old",
        false,
      ]);
      expect(await store.sweep(now, DEFAULT_RETENTION)).toBe(2);
      expect(await store.get("old")).toBeUndefined();
      expect(await store.getRequest("r-old")).toBeUndefined();
      expect(await store.getRequest("r-new")).toBeDefined();
      const [again] = await store.add([unnumbered({ dedupKey: "done" })]);
      expect(again).toMatchObject({ created: true, record: { seq: 5 } });
    });
  });
});
