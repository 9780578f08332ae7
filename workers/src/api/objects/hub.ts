/**
 * The tenant hub: one Durable Object per tenant holding the `/v1/events` sockets opened with an
 * API key (admin sockets, which hear every subject of the tenant). Subject objects forward their
 * status changes here, a batch per change of theirs, and only while the hub has a socket to tell
 * (it answers how many it has, and an object with none to tell stays quiet for a while).
 * Token sockets are held by their subject's own object, not here.
 */
import { DurableObject } from "cloudflare:workers";
import type { TaskView } from "@errand/core/wire";
import { LiveSockets, type SocketCredential } from "./live-sockets.ts";

export { CLOSE_EXPIRED } from "./live-sockets.ts";

/** The tenant's hub (named by the tenant id). */
export class Hub extends DurableObject<Env> {
  readonly #sockets: LiveSockets;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sockets = new LiveSockets(ctx);
    this.#sockets.createTables();
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    );
  }

  /** Counts a ping and returns how many this instance has seen (a storage round trip). */
  ping(): number {
    return this.ctx.storage.sql
      .exec<{ value: number }>(
        "INSERT INTO counters (name, value) VALUES ('ping', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
      )
      .one().value;
  }

  /** Records a one-use ticket for an admin socket; false for a revoked key. */
  issueTicket(ticket: string, expiresAt: number, credential: SocketCredential): boolean {
    return this.#sockets.issueTicket(ticket, expiresAt, credential);
  }

  /** Closes the sockets of a revoked key and refuses it from now on. Idempotent. */
  revokeKey(keyId: string): void {
    this.#sockets.revokeKey(keyId);
  }

  /** Opens an admin socket with a ticket. */
  override async fetch(request: Request): Promise<Response> {
    const { response, expiresAt } = this.#sockets.accept(request);
    if (expiresAt !== undefined) await this.#scheduleExpiry(expiresAt);
    return response;
  }

  /**
   * Pushes views forwarded by subject objects to the admin sockets; returns how many sockets
   * are open (0 tells the object it may stop forwarding for a while).
   */
  publish(views: TaskView[]): number {
    this.#sockets.publish(views);
    return this.#sockets.count();
  }

  override async alarm(): Promise<void> {
    const next = this.#sockets.closeExpired();
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    this.#sockets.message(socket, message);
  }

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    this.#sockets.close(socket, code, reason);
  }

  async #scheduleExpiry(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
