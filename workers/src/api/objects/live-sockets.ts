/**
 * `/v1/events` WebSockets held by a Durable Object through the hibernation API (idle sockets cost
 * nothing): one-use tickets, accepting a socket while spending its ticket, pushing task views to
 * every open socket, closing sockets whose credential expired (4401) or whose key was revoked.
 * A subject's object holds its token sockets; the tenant's hub holds the admin (key) sockets.
 */
import { type EventMessage, errorBody, type TaskView } from "@errand/core/wire";

/** Close code sent when the credential behind a socket expired or was revoked. */
export const CLOSE_EXPIRED = 4401;

/** The credential a socket is opened with, as its ticket records it. */
export interface SocketCredential {
  /** Unix ms; null for credentials that do not expire (API keys). */
  expiresAt: number | null;
  /** The API key's id, so revoking the key closes the socket; null for a token. */
  keyId: string | null;
}

interface Attachment {
  expiresAt: number | null;
}

const keyTag = (keyId: string) => `k:${keyId}`;

/** The sockets and tickets of one Durable Object. */
export class LiveSockets {
  readonly #ctx: DurableObjectState;

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  /** Creates the tickets' tables (idempotent); the holder calls it before first use. */
  createTables(): void {
    const ctx = this.#ctx;
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, credential_expires_at INTEGER,
         expires_at INTEGER NOT NULL, key_id TEXT)`,
    );
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS revoked_keys (key_id TEXT PRIMARY KEY)");
  }

  /**
   * Records a one-use ticket, usable until `expiresAt`, for opening a socket with `credential`.
   * False, and nothing recorded, for a key revoked already.
   */
  issueTicket(ticket: string, expiresAt: number, credential: SocketCredential): boolean {
    const sql = this.#ctx.storage.sql;
    if (credential.keyId !== null && this.#isRevoked(credential.keyId)) return false;
    sql.exec("DELETE FROM tickets WHERE expires_at <= ?", Date.now());
    sql.exec(
      "INSERT INTO tickets (ticket, credential_expires_at, expires_at, key_id) VALUES (?, ?, ?, ?)",
      ticket,
      credential.expiresAt,
      expiresAt,
      credential.keyId,
    );
    return true;
  }

  /** Closes the sockets opened with API key `keyId`, drops its tickets and refuses it for good. */
  revokeKey(keyId: string): void {
    this.#ctx.storage.sql.exec("INSERT OR IGNORE INTO revoked_keys (key_id) VALUES (?)", keyId);
    this.#ctx.storage.sql.exec("DELETE FROM tickets WHERE key_id = ?", keyId);
    for (const socket of this.#ctx.getWebSockets(keyTag(keyId))) {
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
   * Returns the response and, for a socket that expires, when.
   */
  accept(request: Request): { response: Response; expiresAt?: number } {
    const ticket = new URL(request.url).searchParams.get("ticket") ?? "";
    const pair = new WebSocketPair();
    const row = this.#ctx.storage.transactionSync(() => {
      const spent = this.#ctx.storage.sql
        .exec<{ credential_expires_at: number | null; key_id: string | null }>(
          "DELETE FROM tickets WHERE ticket = ? AND expires_at > ? RETURNING credential_expires_at, key_id",
          ticket,
          Date.now(),
        )
        .toArray()[0];
      if (!spent) return undefined;
      this.#ctx.acceptWebSocket(pair[1], spent.key_id === null ? [] : [keyTag(spent.key_id)]);
      return spent;
    });
    if (!row) return { response: unknownTicket() };
    const attachment: Attachment = { expiresAt: row.credential_expires_at };
    pair[1].serializeAttachment(attachment);
    return {
      response: new Response(null, { status: 101, webSocket: pair[0] }),
      ...(row.credential_expires_at === null ? {} : { expiresAt: row.credential_expires_at }),
    };
  }

  /** How many sockets are open. */
  count(): number {
    return this.#ctx.getWebSockets().length;
  }

  /** Pushes task views to every open socket whose credential has not expired; returns sends. */
  publish(views: readonly TaskView[]): number {
    if (views.length === 0) return 0;
    const now = Date.now();
    const open = this.#ctx.getWebSockets().filter((socket) => {
      const attachment = socket.deserializeAttachment() as Attachment | null;
      return attachment?.expiresAt == null || attachment.expiresAt > now;
    });
    let sent = 0;
    if (open.length === 0) return 0;
    for (const view of views) {
      const text = JSON.stringify({ type: "task.status", task: view } satisfies EventMessage);
      for (const socket of open) {
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

  /** Closes sockets whose credential expired (4401); returns the next expiry, if any. */
  closeExpired(now = Date.now()): number | undefined {
    let next: number | undefined;
    for (const socket of this.#ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as Attachment | null;
      if (attachment?.expiresAt == null) continue;
      if (attachment.expiresAt <= now) socket.close(CLOSE_EXPIRED, "credential expired");
      else next = Math.min(next ?? Number.POSITIVE_INFINITY, attachment.expiresAt);
    }
    return next;
  }

  /** Answers a ping; everything else a socket sends is ignored. */
  message(socket: WebSocket, message: string | ArrayBuffer): void {
    if (message === "ping") socket.send(JSON.stringify({ type: "pong" }));
  }

  /** Completes a close the client started. */
  close(socket: WebSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  #isRevoked(keyId: string): boolean {
    return (
      this.#ctx.storage.sql.exec("SELECT 1 FROM revoked_keys WHERE key_id = ?", keyId).toArray().length > 0
    );
  }
}

function unknownTicket(): Response {
  return Response.json(errorBody("unauthorized", "The ticket is unknown, used or expired."), { status: 401 });
}
