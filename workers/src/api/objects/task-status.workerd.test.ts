import { env } from "cloudflare:workers";
import type { DeliveryStatus, SubscriptionKind } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { aggregateStatus } from "./task-status.ts";
import { refreshStatus } from "./task-views.ts";

interface Facts {
  kind: SubscriptionKind;
  status: DeliveryStatus;
  resultFrom: boolean;
  result: string | null;
}

const KINDS: SubscriptionKind[] = ["queue", "live"];
const STATUSES: DeliveryStatus[] = ["pending", "delivered", "dead", "cancelled"];
/** Real ids mix cases; byte order puts `sub_B` before `sub_a`, locale order would not. */
const SUBSCRIPTIONS = ["sub_a", "sub_B"];

/** Every delivery a task can have, as far as its status is concerned. */
const ONE: Facts[] = KINDS.flatMap((kind) =>
  STATUSES.flatMap((status) =>
    [false, true].flatMap((resultFrom) =>
      [null, `"r-${kind}-${status}"`].map((result) => ({ kind, status, resultFrom, result })),
    ),
  ),
);

/** Every list of up to two deliveries. */
const LISTS: Facts[][] = [[], ...ONE.map((a) => [a]), ...ONE.flatMap((a) => ONE.map((b) => [a, b]))];

/** How a task counts as on the queue: not yet, `queued_at` (ingest's send), or `routed_at` only. */
type Queued = "no" | "queued" | "routed";

describe("STATUS_SQL and RESULT_SQL", () => {
  it("agree with aggregateStatus and the result rule over every combination of facts", async () => {
    const tenant = `status-${crypto.randomUUID()}`;
    const cases = [false, true].flatMap((cancelled) =>
      (["no", "queued", "routed"] as Queued[]).flatMap((queued) =>
        // Half the tasks already hold a result, which stands until a resultFrom delivery brings one.
        LISTS.map((deliveries, i) => ({
          cancelled,
          queued,
          held: i % 2 === 0 ? null : '"held"',
          deliveries,
        })),
      ),
    );
    const db = env.DB;
    const inserted = await db
      .prepare(
        `INSERT INTO tasks (tenant, subject, id, topic, payload, payload_hash, status, result, batch_id,
           accepted_at, queued_at, routed_at, cancelled_at, updated_at)
         SELECT ?1, '', 'c' || key, 'status.test', '{}', 'h', 'unset', value ->> '$.r', 'b', 0,
           CASE WHEN value ->> '$.q' = 'queued' THEN 1 END, CASE WHEN value ->> '$.q' = 'routed' THEN 1 END,
           CASE WHEN value ->> '$.c' THEN 1 END, 0
         FROM json_each(?2) ORDER BY key
         RETURNING key, id`,
      )
      .bind(tenant, JSON.stringify(cases.map((c) => ({ q: c.queued, c: c.cancelled, r: c.held }))))
      .all<{ key: number; id: string }>();
    const keyOf = new Map(inserted.results.map((r) => [Number(r.id.slice(1)), r.key]));
    const deliveries = cases.flatMap((c, i) =>
      c.deliveries.map((d, j) => ({
        t: keyOf.get(i),
        s: SUBSCRIPTIONS[j],
        k: d.kind,
        st: d.status,
        rf: d.resultFrom ? 1 : 0,
        r: d.result,
        a: j + 1,
      })),
    );
    await db
      .prepare(
        `INSERT INTO deliveries (task_key, subscription, kind, result_from, status, result, attempts, updated_at)
         SELECT value ->> '$.t', value ->> '$.s', value ->> '$.k', value ->> '$.rf', value ->> '$.st',
           value ->> '$.r', value ->> '$.a', 0
         FROM json_each(?1)`,
      )
      .bind(JSON.stringify(deliveries))
      .run();

    const keys = cases.map((_, i) => keyOf.get(i) as number);
    const views = await refreshStatus(db, keys);
    expect(views).toHaveLength(cases.length);
    const byId = new Map(views.map((v) => [v.view.id, v.view]));
    const wrong = cases.flatMap((c, i) => {
      const view = byId.get(`c${i}`);
      const status = aggregateStatus(
        { cancelled: c.cancelled, queued: c.queued !== "no" },
        c.deliveries.map((d) => ({ ...d, hasResult: d.result !== null })),
      );
      const own = c.deliveries
        .map((d, j) => ({ ...d, subscription: SUBSCRIPTIONS[j] as string, attempts: j + 1 }))
        .sort((a, b) => (a.subscription < b.subscription ? -1 : 1));
      const result = own.find((d) => d.resultFrom && d.status === "delivered")?.result ?? c.held;
      const expected = {
        status,
        result: result === null ? undefined : JSON.parse(result),
        attempts: own.length,
        deliveries: own.map((d) => ({
          subscription: d.subscription,
          status: d.status,
          attempts: d.attempts,
        })),
      };
      const got = {
        status: view?.status,
        result: view?.result,
        attempts: view?.attempts,
        deliveries: view?.deliveries,
      };
      return JSON.stringify(got) === JSON.stringify(expected) ? [] : [{ case: c, expected, got }];
    });
    expect(wrong.slice(0, 3)).toEqual([]);
    // Stored: a second pass finds nothing to change.
    expect(await refreshStatus(db, keys)).toEqual([]);
  });
});
