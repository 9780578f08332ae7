import { afterEach, describe, expect, it } from "vitest";
import { openQueueDb, type QueueDb } from "../queue/db.ts";
import { pendingRecord } from "./fixtures/records.ts";
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
    await store.addRequest({
      id: "r1",
      subject: "ada",
      method: "POST",
      url: "https://app.example/x",
      headers: [],
      state: "pending",
      attempts: 0,
      runAt: 0,
      createdAt: 0,
      updatedAt: 0,
    });
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

  it("lets a task take a dedup key that a task refused by the edge held", async () => {
    const store = await freshStore();
    const [refused] = await store.add([unnumbered({ dedupKey: "once" })]);
    const error = { name: "ErrandError", code: "unknown_topic", message: "no", retryable: false };
    await store.apply([{ id: refused?.record.id ?? "", event: { type: "reject", now: 1, error } }]);
    const [again] = await store.add([unnumbered({ dedupKey: "once" })]);
    expect(again?.created).toBe(true);
  });

  it("remembers the last subject until told to forget it", async () => {
    const store = await freshStore();
    expect(await store.lastSubject()).toBeUndefined();
    await store.setLastSubject("ada");
    expect(await store.lastSubject()).toBe("ada");
    await store.setLastSubject(undefined);
    expect(await store.lastSubject()).toBeUndefined();
  });
});
