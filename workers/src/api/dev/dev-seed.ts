/**
 * Dev/test seeding, run once per isolate on the first request: the `dev` tenant with the
 * admin key from `SEED_ADMIN_KEY`, and (with `SEED_DEMO=1`, i.e. `npm start`) the demo's topic
 * with a queue subscription to the example consumer, a webhook to the local receiver named by
 * `DEMO_WEBHOOK_URL` (if set) and a live subscription.
 */
import { parseApiKey, SCOPES } from "../auth/api-key.ts";
import { sha256Hex } from "../auth/crypto.ts";

/** The seeded tenant's id. */
export const DEV_TENANT = "dev";
/** The demo's topic. */
export const DEMO_TOPIC = "demo.echo";

let seeded: Promise<void> | undefined;

/** Seeds once per isolate; a failure is retried on the next request. */
export function seedOnce(env: Env): Promise<void> {
  seeded ??= seed(env).catch((error: unknown) => {
    seeded = undefined;
    throw error;
  });
  return seeded;
}

async function seed(env: Env): Promise<void> {
  const key = parseApiKey(env.SEED_ADMIN_KEY ?? "");
  if (!key) return;
  const now = Date.now();
  const statements = [
    env.DB.prepare(
      "INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?, 'Local development', ?)",
    ).bind(DEV_TENANT, now),
    env.DB.prepare(
      `INSERT OR IGNORE INTO api_keys (id, tenant, secret_hash, scopes, topics, name, created_at)
       VALUES (?, ?, ?, ?, '["*"]', 'seeded admin key', ?)`,
    ).bind(key.id, DEV_TENANT, await sha256Hex(key.secret), JSON.stringify(SCOPES), now),
  ];
  if (env.SEED_DEMO === "1") {
    statements.push(
      env.DB.prepare(
        "INSERT OR IGNORE INTO topics (tenant, name, description, ordering, created_at) VALUES (?, ?, ?, 'key', ?)",
      ).bind(DEV_TENANT, DEMO_TOPIC, "The demo's edge tasks: echoed by the example consumer.", now),
      subscription(env, "sub_demo_queue", "queue", "errand-delivery", 1, null, now),
      subscription(env, "sub_demo_live", "live", "demo-sessions", 0, null, now),
    );
    if (env.DEMO_WEBHOOK_URL) {
      statements.push(
        subscription(
          env,
          "sub_demo_webhook",
          "webhook",
          env.DEMO_WEBHOOK_URL,
          0,
          env.DEMO_WEBHOOK_SECRET ?? null,
          now,
        ),
      );
    }
  }
  await env.DB.batch(statements);
}

function subscription(
  env: Env,
  id: string,
  kind: string,
  target: string,
  resultFrom: number,
  secret: string | null,
  now: number,
): D1PreparedStatement {
  return env.DB.prepare(
    `INSERT OR IGNORE INTO subscriptions (id, tenant, topic, kind, target, result_from, secret, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).bind(id, DEV_TENANT, DEMO_TOPIC, kind, target, resultFrom, secret, now);
}
