import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startEdge } from "../scripts/servers.mjs";
import { consumerEffects } from "./consumer-effects.ts";
import { auditDelivery, type PlannedTask, type TaskView } from "./delivery-audit.ts";

// The delivery guarantee across a crash (issue 30): the edge is SIGKILLed while chaos-layer
// tasks are in flight and restarted on the same state; then every accepted task must have had
// its effect exactly once, in submission order per ordering key, and read as `delivered`. Local
// queues hold in-flight messages in memory, so a dev server's crash loses them, as a production
// queue that redelivers late, or never, would. The test runs its own `wrangler dev --env test`
// (API and example consumer, as the shared edge), so the kill touches no other test, and speaks
// only the public API and dev routes, so it holds whatever the edge keeps its state in.

/** Tasks submitted; `ERRAND_CRASH_TASKS` overrides. */
const TASKS = Number(process.env.ERRAND_CRASH_TASKS) || 10_000;
/** How long the restarted edge gets to deliver everything; `ERRAND_CRASH_WAIT_MS` overrides. */
const WAIT_MS = Number(process.env.ERRAND_CRASH_WAIT_MS) || 180_000;
/** How long a call keeps retrying while the edge is down: a restart on a loaded machine is slow. */
const DOWN_MS = 360_000;
/** After the last task reads as delivered, how long to wait for a late second effect. */
const SETTLE_MS = 3_000;
/** Token subjects publishing side by side, each its own ordered lane of batches. */
const SUBJECTS = 4;
/** Ordering keys per subject: one task of each in every batch, so each key's chain spans the run. */
const KEYS_PER_SUBJECT = 3;
const BATCH = 100;
const TOPIC = "test.effect";

describe("the edge killed mid-run", () => {
  let persistTo = "";
  let edge: Awaited<ReturnType<typeof startEdge>> | undefined;
  let base = "";
  let finished = false;
  // Whatever happens to the test (a hook that timed out), the edge dies with this process.
  const killOnExit = () => edge && killGroup(edge.pid);

  const boot = async () => {
    const port: number = await freePort();
    edge = await startEdge({ port, env: "test", persistTo });
    base = `http://127.0.0.1:${port}`;
  };

  /** Calls the edge once; `EdgeDown` when it is down, restarting or shedding load. */
  const json = async <T>(
    credential: string | undefined,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}${route}`, {
        method,
        headers: {
          ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new EdgeDown(500, { cause: error });
    }
    const text = await response.text();
    if (response.status === 429) throw new EdgeDown(1000 * Number(response.headers.get("retry-after") ?? 1));
    if (response.status >= 500) throw new EdgeDown(500);
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  /** Repeats an idempotent call until the edge answers it. */
  const retrying = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + DOWN_MS;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof EdgeDown) || finished || Date.now() > deadline) throw error;
        await sleep(error.waitMs);
      }
    }
  };

  beforeAll(async () => {
    persistTo = await mkdtemp(path.join(tmpdir(), "errand-crash-e2e-"));
    process.on("exit", killOnExit);
    await boot();
  });

  afterAll(async () => {
    finished = true;
    await edge?.stop();
    process.off("exit", killOnExit);
    if (persistTo) await rm(persistTo, { recursive: true, force: true });
  });

  it(`delivers each of ${TASKS} accepted tasks exactly once, in order per key, after a SIGKILL and a restart`, {
    timeout: 2 * DOWN_MS + WAIT_MS,
  }, async () => {
    const { key } = await json<{ key: string }>(undefined, "POST", "/v1/dev/tenants", {
      rates: { tenant: 1_000_000, subject: 1_000_000, ip: 1_000_000 },
    });
    await json(key, "PUT", `/v1/topics/${TOPIC}`, {});
    await json(key, "POST", `/v1/topics/${TOPIC}/subscriptions`, {
      kind: "queue",
      target: "errand-delivery",
    });
    const tokens = await Promise.all(
      Array.from({ length: SUBJECTS }, (_, s) =>
        json<{ token: string }>(key, "POST", "/v1/tokens", {
          subject: `crash-${s}`,
          topics: [TOPIC],
          ttlSeconds: 3600,
        }).then((t) => t.token),
      ),
    );
    const lanes = plan(crypto.randomUUID().slice(0, 8));
    const tasks = lanes.flat();
    const ids = tasks.map((t) => t.id);
    const started = Date.now();
    const appliedIds = () => new Set(consumerEffects(persistTo, ids).map((e) => e.task_id));
    const log = (what: string) =>
      console.info(`edge-crash: ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const submit = async (lane: PlannedTask[], token: string) => {
      for (let i = 0; i < lane.length; i += BATCH) {
        const batch = lane.slice(i, i + BATCH).map(({ id, orderingKey }, j) => ({
          id,
          topic: TOPIC,
          payload: { n: i + j },
          ...(orderingKey === undefined ? {} : { orderingKey }),
        }));
        // A batch cut off by the kill is sent again: what was stored before reads as duplicate.
        const { results } = await retrying(() =>
          json<{ results: { id: string; status: string; error?: unknown }[] }>(token, "POST", "/v1/tasks", {
            tasks: batch,
          }),
        );
        const refused = results.filter((r) => r.status !== "accepted" && r.status !== "duplicate");
        if (refused.length > 0) throw new Error(`refused: ${JSON.stringify(refused.slice(0, 3))}`);
      }
    };

    const crashAtHalf = async () => {
      const deadline = Date.now() + WAIT_MS;
      let applied = appliedIds().size;
      while (applied < TASKS / 2) {
        if (Date.now() > deadline) throw new Error(`only ${applied} of ${TASKS} applied before the kill`);
        await sleep(250);
        applied = appliedIds().size;
      }
      const killed = edge;
      if (killed === undefined) throw new Error("no edge to kill");
      killGroup(killed.pid);
      await killed.stop();
      edge = undefined;
      // Were workerd outside the group, the old edge would go on delivering and hide the loss.
      if (await answers(`${base}/v1/health`)) throw new Error("the edge still answers after SIGKILL");
      log(`killed with ${applied} applied`);
      await boot();
      log("restarted");
    };

    await Promise.all([...lanes.map((lane, s) => submit(lane, tokens[s] as string)), crashAtHalf()]);
    log(`all ${TASKS} accepted`);

    const views = async (wanted: readonly PlannedTask[]): Promise<Map<string, TaskView>> => {
      const found = new Map<string, TaskView>();
      // Each subject reads its own tasks with its token: what a browser sees, from its own state.
      const read = async (token: string, s: number) => {
        const mine = wanted.filter((t) => t.subject === s).map((t) => t.id);
        for (let i = 0; i < mine.length; i += 100) {
          const route = `/v1/tasks?ids=${mine.slice(i, i + 100).join(",")}`;
          const { tasks: page } = await retrying(() => json<{ tasks: TaskView[] }>(token, "GET", route));
          for (const view of page) found.set(view.id, view);
        }
      };
      await Promise.all(tokens.map(read));
      return found;
    };

    // Only tasks with an effect and not yet seen delivered are read, so polls stay cheap.
    const delivered = new Set<string>();
    const deadline = Date.now() + WAIT_MS;
    while (delivered.size < TASKS && Date.now() < deadline) {
      const applied = appliedIds();
      const candidates = tasks.filter((t) => applied.has(t.id) && !delivered.has(t.id));
      for (const view of (await views(candidates)).values())
        if (view.status === "delivered") delivered.add(view.id);
      if (delivered.size < TASKS) await sleep(2_000);
    }
    log(`${delivered.size} read as delivered`);
    await sleep(SETTLE_MS);

    const effects = consumerEffects(persistTo, ids);
    const latest = await views(tasks.filter((t) => !delivered.has(t.id)));
    const { counts, details } = auditDelivery(tasks, effects, delivered, latest);
    log(JSON.stringify(counts));
    if (counts.appliedOnce < TASKS || counts.notDelivered > 0 || counts.outOfOrderKeys > 0)
      console.error(`edge-crash: ${JSON.stringify(details, null, 2)}`);
    expect(counts).toEqual({
      accepted: TASKS,
      appliedOnce: TASKS,
      missing: 0,
      doubled: 0,
      notDelivered: 0,
      outOfOrderKeys: 0,
    });
  });
});

/** Each subject's tasks in submission order; every batch carries one task of each of its keys. */
function plan(run: string): PlannedTask[][] {
  return Array.from({ length: SUBJECTS }, (_, subject) => {
    const count = Math.floor(TASKS / SUBJECTS) + (subject < TASKS % SUBJECTS ? 1 : 0);
    return Array.from({ length: count }, (_, i) => {
      const slot = i % BATCH;
      const id = `crash-${run}-${subject}-${i}`;
      return slot < KEYS_PER_SUBJECT ? { id, subject, orderingKey: `s${subject}-k${slot}` } : { id, subject };
    });
  });
}

/** The edge is down, restarting or shedding load: the call may be repeated after `waitMs`. */
class EdgeDown extends Error {
  constructor(
    readonly waitMs: number,
    options?: ErrorOptions,
  ) {
    super("The edge is not answering.", options);
  }
}

/** SIGKILLs a whole process group: wrangler and the workerd it spawned, with no chance to flush. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
