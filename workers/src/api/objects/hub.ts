/**
 * The live hub: one Durable Object per tenant holding its `/v1/events` WebSockets through the
 * hibernation API (idle sockets cost nothing). It issues one-use tickets, pushes
 * `{ type: "task.status", task }` to the sockets allowed to hear a task (its subject's, and
 * admin ones), and closes a socket with 4401 when the credential that opened it expires.
 */

import { DurableObject } from "cloudflare:workers";
import { type EventMessage, errorBody, type TaskView } from "@errand/core/wire";
import { sha256Hex } from "../auth/crypto.ts";

/** Close code sent when the credential behind a socket expired or was revoked. */
export const CLOSE_EXPIRED = 4401;
const ALL_SUBJECTS = "*";

/** The credential a socket was opened with, as its ticket recorded it. */
export interface SocketCredential {
  /** Whose tasks it hears; null: every subject's (a key). */
  subject: string | null;
  /** Unix ms; null for credentials that do not expire (API keys). */
  expiresAt: number | null;
  /** The API key's id, so revoking the key closes the socket; null for a token. */
  keyId: string | null;
}

type Attachment = Pick<SocketCredential, "subject" | "expiresAt">;

const keyTag = (keyId: string) => `k:${keyId}`;

/**
 * A subject's sockets are tagged with a digest of it: workerd refuses tags over 256 characters,
 * and a subject may be 256 characters before its prefix. Sockets of a hub that ran older code
 * carry no such tag, but a code update closes every socket of a Durable Object anyway.
 */
const subjectTag = async (subject: string) => `s:${await sha256Hex(subject)}`;

/** The tenant's live hub. */
export class Hub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, subject TEXT,
           credential_expires_at INTEGER, expires_at INTEGER NOT NULL)`,
      );
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS revoked_keys (key_id TEXT PRIMARY KEY)");
      // Hubs made before sockets were tagged with their key: add the column once.
      const columns = ctx.storage.sql.exec<{ name: string }>("PRAGMA table_info(tickets)").toArray();
      if (!columns.some((column) => column.name === "key_id")) {
        ctx.storage.sql.exec("ALTER TABLE tickets ADD COLUMN key_id TEXT");
      }
      ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
      );
    });
  }

  /** Counts a ping and returns how many this instance has seen (a storage round trip). */
  ping(): number {
    return this.ctx.storage.sql
      .exec<{ value: number }>(
        "INSERT INTO counters (name, value) VALUES ('ping', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
      )
      .one().value;
  }

  /**
   * Records a one-use ticket (signed by the API, usable until `expiresAt`) for opening a socket
   * with `credential`; the socket lives until the credential expires or its key is revoked.
   * False, and nothing recorded, for a key revoked already (the caller authenticated it from a
   * cache, or just before the revocation).
   */
  issueTicket(ticket: string, expiresAt: number, credential: SocketCredential): boolean {
    if (credential.keyId !== null && this.isRevoked(credential.keyId)) return false;
    this.ctx.storage.sql.exec("DELETE FROM tickets WHERE expires_at <= ?", Date.now());
    this.ctx.storage.sql.exec(
      "INSERT INTO tickets (ticket, subject, credential_expires_at, expires_at, key_id) VALUES (?, ?, ?, ?, ?)",
      ticket,
      credential.subject,
      credential.expiresAt,
      expiresAt,
      credential.keyId,
    );
    return true;
  }

  /**
   * Closes the sockets opened with API key `keyId`, drops its unspent tickets and refuses it for
   * good (it was revoked). Idempotent: the API calls it again when a revocation is repeated.
   */
  revokeKey(keyId: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO revoked_keys (key_id) VALUES (?)", keyId);
    this.ctx.storage.sql.exec("DELETE FROM tickets WHERE key_id = ?", keyId);
    for (const socket of this.ctx.getWebSockets(keyTag(keyId))) {
      try {
        socket.close(CLOSE_EXPIRED, "credential revoked");
      } catch {
        // already closing
      }
    }
  }

  /**
   * Upgrades `GET /v1/events?ticket=…` to a WebSocket, spending the ticket in the same
   * transaction that accepts the socket: a socket that cannot be accepted leaves the ticket
   * unspent for the client's retry. Of several uses at once, one finds the ticket to spend.
   */
  override async fetch(request: Request): Promise<Response> {
    const ticket = new URL(request.url).searchParams.get("ticket") ?? "";
    const found = this.ctx.storage.sql
      .exec<{ subject: string | null }>(
        "SELECT subject FROM tickets WHERE ticket = ? AND expires_at > ?",
        ticket,
        Date.now(),
      )
      .toArray()[0];
    // No ticket of a revoked key is left to spend: revokeKey drops them, issueTicket refuses new ones.
    if (!found) return unknownTicket();
    const subjectTags = found.subject === null ? [ALL_SUBJECTS] : [await subjectTag(found.subject)];
    const pair = new WebSocketPair();
    const row = this.ctx.storage.transactionSync(() => {
      const spent = this.ctx.storage.sql
        .exec<{ subject: string | null; credential_expires_at: number | null; key_id: string | null }>(
          "DELETE FROM tickets WHERE ticket = ? AND expires_at > ? RETURNING subject, credential_expires_at, key_id",
          ticket,
          Date.now(),
        )
        .toArray()[0];
      if (!spent) return undefined;
      const tags = spent.key_id === null ? subjectTags : [...subjectTags, keyTag(spent.key_id)];
      this.ctx.acceptWebSocket(pair[1], tags);
      return spent;
    });
    if (!row) return unknownTicket();
    const attachment: Attachment = { subject: row.subject, expiresAt: row.credential_expires_at };
    pair[1].serializeAttachment(attachment);
    if (attachment.expiresAt !== null) await this.scheduleExpiry(attachment.expiresAt);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /**
   * Pushes task views to the sockets allowed to hear them. Sockets are listed once per call,
   * and a view nobody may hear is not even serialized: most batches reach no one.
   */
  async publish(items: { subject: string; view: TaskView }[]): Promise<number> {
    const now = Date.now();
    const open = (tag: string) =>
      this.ctx.getWebSockets(tag).filter((socket) => {
        const attachment = socket.deserializeAttachment() as Attachment | null;
        return attachment?.expiresAt == null || attachment.expiresAt > now;
      });
    const admins = open(ALL_SUBJECTS);
    const bySubject = new Map<string, WebSocket[]>();
    let sent = 0;
    for (const { subject, view } of items) {
      let listeners = bySubject.get(subject);
      if (!listeners) {
        listeners = [...open(await subjectTag(subject)), ...admins];
        bySubject.set(subject, listeners);
      }
      if (listeners.length === 0) continue;
      const text = JSON.stringify({ type: "task.status", task: view } satisfies EventMessage);
      for (const socket of listeners) {
        try {
          socket.send(text);
          sent++;
        } catch {
          // the socket is closing; its close handler cleans up
        }
      }
    }
    return sent;
  }

  /** Closes sockets whose credential expired (4401) and waits for the next expiry. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next: number | undefined;
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as Attachment | null;
      if (attachment?.expiresAt == null) continue;
      if (attachment.expiresAt <= now) socket.close(CLOSE_EXPIRED, "credential expired");
      else next = Math.min(next ?? Number.POSITIVE_INFINITY, attachment.expiresAt);
    }
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    if (message === "ping") socket.send(JSON.stringify({ type: "pong" }));
  }

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  private isRevoked(keyId: string): boolean {
    return (
      this.ctx.storage.sql.exec("SELECT 1 FROM revoked_keys WHERE key_id = ?", keyId).toArray().length > 0
    );
  }

  private async scheduleExpiry(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}

function unknownTicket(): Response {
  return Response.json(errorBody("unauthorized", "The ticket is unknown, used or expired."), { status: 401 });
}
