import { DurableObject } from "cloudflare:workers";

/**
 * The coordination Durable Object (SQLite storage). One instance per tenant: it will own
 * live WebSocket sessions and the repair alarm; for now it answers a ping that counts
 * its calls in its own SQLite storage, which proves storage survives between calls.
 */
export class Hub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
      );
    });
  }

  /** Counts a ping and returns how many this instance has seen. */
  ping(): number {
    const row = this.ctx.storage.sql
      .exec<{ value: number }>(
        "INSERT INTO counters (name, value) VALUES ('ping', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
      )
      .one();
    return row.value;
  }
}
