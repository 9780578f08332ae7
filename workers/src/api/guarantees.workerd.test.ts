import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import {
  api,
  call,
  effects,
  ids,
  json,
  newTenant,
  repairSubject,
  subjectSql,
  submit,
  topicWith,
  views,
  waitFor,
} from "../../test/edge.ts";
import { SubjectDb } from "./objects/subject-schema.ts";
import { finishedBefore, removeTasks } from "./objects/subject-tasks.ts";

const setChaos = (settings: object | null) =>
  api("/v1/dev/chaos", { method: "POST", body: settings === null ? "" : JSON.stringify(settings) });

afterEach(async () => {
  await setChaos(null);
});

describe("behind the chaos layer (shuffled, duplicated, delayed messages)", () => {
  it("applies each task once when every message is delivered twice", { timeout: 120_000 }, async () => {
    await setChaos({ duplicate: 1, maxDelaySeconds: 1, shuffle: true });
    const { key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const taskIds = ids("twice", 50);
    await submit(
      key,
      taskIds.map((id) => ({ id, topic: "test.effect", payload: {} })),
    );
    await waitFor(
      async () => ((await views(key, taskIds)).every((v) => v.status === "delivered") ? true : undefined),
      110_000,
      "all delivered",
      500,
    );
    const counts = new Map<string, number>();
    for (const e of await effects(taskIds)) counts.set(e.task_id, (counts.get(e.task_id) ?? 0) + 1);
    expect(taskIds.map((id) => counts.get(id))).toEqual(taskIds.map(() => 1));
  });

  it("delivers 300 tasks over 5 ordering keys in order per key", { timeout: 300_000 }, async () => {
    const { key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const taskIds = ids("order", 300);
    for (let i = 0; i < 300; i += 100) {
      await submit(
        key,
        taskIds
          .slice(i, i + 100)
          .map((id, j) => ({ id, topic: "test.effect", payload: {}, orderingKey: `k${(i + j) % 5}` })),
      );
    }
    await waitFor(
      async () => ((await views(key, taskIds)).every((v) => v.status === "delivered") ? true : undefined),
      290_000,
      "all 300 delivered",
      1000,
    );
    const applied = await effects(taskIds);
    expect(applied).toHaveLength(300);
    for (let k = 0; k < 5; k++) {
      const expected = taskIds.filter((_, i) => i % 5 === k);
      expect(applied.filter((e) => e.ordering_key === `k${k}`).map((e) => e.task_id)).toEqual(expected);
    }
  });

  it("ends with every task delivered or dead, none lost, when the consumer fails 30% at random", {
    timeout: 240_000,
  }, async () => {
    const { key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const taskIds = ids("flaky", 100);
    await submit(
      key,
      taskIds.map((id) => ({ id, topic: "test.effect", payload: { failRate: 0.3 } })),
    );
    const final = await waitFor(
      async () => {
        const list = await views(key, taskIds);
        return list.length === 100 && list.every((v) => v.status === "delivered" || v.status === "dead")
          ? list
          : undefined;
      },
      230_000,
      "all final",
      1000,
    );
    const applied = new Map<string, number>();
    for (const e of await effects(taskIds)) applied.set(e.task_id, (applied.get(e.task_id) ?? 0) + 1);
    for (const view of final)
      expect([view.id, view.status, applied.get(view.id) ?? 0]).toEqual([
        view.id,
        view.status,
        view.status === "delivered" ? 1 : 0,
      ]);
    expect(final.some((v) => v.attempts > 1)).toBe(true);
    const dead = final.filter((v) => v.status === "dead").map((v) => v.id);
    // Dead letters are listed once the objects have fed them (within FEED_SECONDS).
    const listed = await waitFor(async () => {
      const letters = await json<{ deadLetters: { taskId: string }[] }>(key, "GET", "/v1/dead-letters");
      return letters.deadLetters.length >= dead.length ? letters.deadLetters : undefined;
    });
    expect(listed.map((l) => l.taskId).sort()).toEqual(dead.sort());
  });
});

describe("dead letters", () => {
  it("records a dead delivery and replays it to success", async () => {
    const { key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const [id] = ids("replay", 1) as [string];
    const fatalUntil = Date.now() + 1500;
    await submit(key, [{ id, topic: "test.effect", payload: { fatalUntil } }]);
    const letter = await waitFor(async () => {
      const { deadLetters } = await json<{
        deadLetters: { id: string; taskId: string; error: { code: string } }[];
      }>(key, "GET", "/v1/dead-letters");
      return deadLetters.find((l) => l.taskId === id);
    });
    expect(letter.error.code).toBe("fatal_by_request");
    expect((await views(key, [id]))[0]?.status).toBe("dead");
    await waitFor(async () => (Date.now() > fatalUntil ? true : undefined));
    await json(key, "POST", `/v1/dead-letters/${letter.id}/replay`);
    await waitFor(async () => ((await views(key, [id]))[0]?.status === "delivered" ? true : undefined));
    expect((await effects([id])).length).toBe(1);
    expect((await call(key, "POST", "/v1/dead-letters/unknown/replay")).status).toBe(404);
  });
});

describe("repair", () => {
  it("delivers a task whose send to its delivery queue failed after it was stored", async () => {
    const { tenant, key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    await json(key, "POST", "/v1/dev/faults", { rules: [{ kind: "fail-send", count: 1 }] });
    const [id] = ids("repair", 1) as [string];
    expect(await submit(key, [{ id, topic: "test.effect", payload: {} }])).toEqual([
      { id, status: "accepted" },
    ]);
    expect((await views(key, [id]))[0]?.status).toBe("accepted");
    // As if the isolate had died a while ago: its send is overdue, and the object's alarm sends it.
    await subjectSql(tenant, "", "UPDATE deliveries SET expect_by = 1");
    await repairSubject(tenant, "");
    await waitFor(async () => ((await views(key, [id]))[0]?.status === "delivered" ? true : undefined));
    expect((await effects([id])).length).toBe(1);
  });

  it("creates no second task when a client re-sends a batch whose response was lost", async () => {
    const { tenant, key } = await newTenant();
    await topicWith(key, "test.effect", []);
    await json(key, "POST", "/v1/dev/faults", { rules: [{ kind: "drop-response", count: 1 }] });
    const [id] = ids("lost", 1) as [string];
    const tasks = [{ id, topic: "test.effect", payload: { n: 1 } }];
    await expect(call(key, "POST", "/v1/tasks", { tasks }).then((r) => r.json())).rejects.toThrow();
    expect(await submit(key, tasks)).toEqual([{ id, status: "duplicate" }]);
    const [count] = await subjectSql<{ n: number }>(
      tenant,
      "",
      "SELECT count(*) AS n FROM tasks WHERE id = ?",
      id,
    );
    expect(count?.n).toBe(1);
  });

  it("answers 503 with Retry-After during an injected outage, and rejects an item on request", async () => {
    const { key } = await newTenant();
    await topicWith(key, "test.effect", []);
    const [a, b] = ids("faults", 2) as [string, string];
    await json(key, "POST", "/v1/dev/faults", {
      rules: [
        { kind: "unavailable", count: 1, retryAfter: 2 },
        { kind: "reject", id: b },
      ],
    });
    const down = await call(key, "POST", "/v1/tasks", {
      tasks: [{ id: a, topic: "test.effect", payload: 1 }],
    });
    expect([down.status, down.headers.get("retry-after")]).toEqual([503, "2"]);
    const results = await submit(key, [
      { id: a, topic: "test.effect", payload: 1 },
      { id: b, topic: "test.effect", payload: 2 },
    ]);
    expect(results.map((r) => r.error?.code ?? r.status)).toEqual(["accepted", "invalid_task"]);
  });

  it("removes finished tasks past retention and keeps dead ones", async () => {
    const { tenant, key } = await newTenant();
    await topicWith(key, "test.effect", [{ kind: "queue", target: "errand-delivery" }]);
    const [done, dead] = ids("retain", 2) as [string, string];
    await submit(key, [
      { id: done, topic: "test.effect", payload: {} },
      { id: dead, topic: "test.effect", payload: { fatal: true } },
    ]);
    await waitFor(async () => {
      const list = await views(key, [done, dead]);
      return list.map((v) => v.status).join() === "delivered,dead" ? true : undefined;
    });
    await subjectSql(tenant, "", "UPDATE tasks SET updated_at = 0 WHERE id IN (?, ?)", done, dead);
    await repairSubject(tenant, "");
    expect((await views(key, [done, dead])).map((v) => v.id)).toEqual([dead]);
  });

  it("removes a token subject's finished task past retention with its task index row", async () => {
    const { tenant, key } = await newTenant();
    await topicWith(key, "notes", []);
    const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "retained",
      topics: ["notes"],
      ttlSeconds: 600,
    });
    const [id] = ids("retain-index", 1) as [string];
    await submit(token, [{ id, topic: "notes", payload: {} }]);
    await waitFor(async () =>
      (await call(key, "GET", `/v1/tasks/${id}`)).status === 200 ? true : undefined,
    );
    await subjectSql(tenant, "retained", "UPDATE tasks SET updated_at = 0 WHERE id = ?", id);
    await repairSubject(tenant, "retained");
    expect((await call(key, "GET", `/v1/tasks/${id}`)).status).toBe(404);
    const row = await env.DB.prepare("SELECT 1 FROM task_index WHERE tenant = ? AND id = ?")
      .bind(tenant, id)
      .first();
    expect(row).toBeNull();
  });

  it("deletes a subject's object storage and its stats row once nothing is left in it", async () => {
    const { tenant, key } = await newTenant();
    await topicWith(key, "notes", []);
    const { token } = await json<{ token: string }>(key, "POST", "/v1/tokens", {
      subject: "leaving",
      topics: ["notes"],
      ttlSeconds: 600,
    });
    const [id] = ids("leaving", 1) as [string];
    await submit(token, [{ id, topic: "notes", payload: {} }]);
    const stats = () =>
      env.DB.prepare("SELECT count(*) AS n FROM subject_stats WHERE tenant = ?")
        .bind(tenant)
        .first<{ n: number }>();
    await waitFor(async () => ((await stats())?.n === 1 ? true : undefined));
    await subjectSql(tenant, "leaving", "UPDATE tasks SET updated_at = 0");
    await repairSubject(tenant, "leaving");
    const object = env.SUBJECT.get(env.SUBJECT.idFromName(JSON.stringify([tenant, "leaving"])));
    const tables = await runInDurableObject(object, (_, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray(),
    );
    expect(tables).toEqual([]);
    expect((await stats())?.n).toBe(0);
    expect(await runInDurableObject(object, (_, state) => state.storage.getAlarm())).toBeNull();
  });

  it("purges by reading the expired finished tasks, not every task stored", async () => {
    const { key, tenant } = await newTenant();
    const now = Date.now();
    // 400 tasks changed now and 3 changed at time 1, two of them finished (delivered). The purge
    // is cut at time 2: other tests' finished tasks, changed later, are past it whenever they ran.
    const rows = Array.from({ length: 403 }, (_, i) => ({
      id: `purge-${i}`,
      status: i % 2 === 0 ? "delivered" : "queued",
      at: i < 3 ? 1 : now,
    }));
    await topicWith(key, "test.effect", []);
    await submit(key, [{ id: "purge-first", topic: "test.effect", payload: {} }]);
    await subjectSql(
      tenant,
      "",
      `INSERT INTO tasks (id, topic, payload, payload_hash, status, accepted_at, updated_at)
       SELECT value ->> '$.id', 'test.effect', '{}', 'h', value ->> '$.status', value ->> '$.at', value ->> '$.at'
       FROM json_each(?)`,
      JSON.stringify(rows),
    );
    const object = env.SUBJECT.get(env.SUBJECT.idFromName(JSON.stringify([tenant, ""])));
    const { removed, rowsRead } = await runInDurableObject(object, (_, state) => {
      const db = new SubjectDb(state.storage.sql);
      const finished = finishedBefore(db, 2);
      removeTasks(
        db,
        finished.map((t) => t.key),
      );
      return { removed: finished.length, rowsRead: db.meter.rowsRead };
    });
    expect(removed).toBe(2);
    expect(rowsRead).toBeLessThan(50);
    expect((await views(key, ["purge-0", "purge-1", "purge-2", "purge-4"])).map((v) => v.id)).toEqual([
      "purge-1",
      "purge-4",
    ]);
  });
});
