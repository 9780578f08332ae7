/**
 * The live hub: one Durable Object per tenant holding its `/v1/events` WebSockets through the
 * hibernation API (idle sockets cost nothing). It issues one-use tickets, pushes
 * `{ type: "task.status", task }` to the sockets allowed to hear a task (its subject's, and
 * admin ones), and closes a socket with 4401 when the credential that opened it expires.
 */

import { DurableObject } from "cloudflare:workers";
import type { EventMessage, TaskView } from "@errand/core";

/** Close code sent when the credential behind a socket expired. */
export const CLOSE_EXPIRED = 4401;
const TICKET_TTL_MS = 60_000;
const ALL_SUBJECTS = "*";

interface Attachment {
  subject: string | null;
  /** Unix ms; null for credentials that do not expire (API keys). */
  expiresAt: number | null;
}

/** The tenant's live hub. */
export class Hub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, subject TEXT,
           credential_expires_at INTEGER, expires_at INTEGER NOT NULL)`,
      );
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
   * Issues a one-use ticket for opening a socket: `subject` null hears every subject (an admin
   * key). The ticket lives a minute; the socket lives until `credentialExpiresAt`.
   */
  issueTicket(
    ticket: string,
    subject: string | null,
    credentialExpiresAt: number | null,
  ): { expiresAt: number } {
    const now = Date.now();
    const expiresAt = now + TICKET_TTL_MS;
    this.ctx.storage.sql.exec("DELETE FROM tickets WHERE expires_at <= ?", now);
    this.ctx.storage.sql.exec(
      "INSERT INTO tickets (ticket, subject, credential_expires_at, expires_at) VALUES (?, ?, ?, ?)",
      ticket,
      subject,
      credentialExpiresAt,
      expiresAt,
    );
    return { expiresAt };
  }

  /** Upgrades `GET /v1/events?ticket=…` to a WebSocket, spending the ticket. */
  override async fetch(request: Request): Promise<Response> {
    const ticket = new URL(request.url).searchParams.get("ticket") ?? "";
    const row = this.ctx.storage.sql
      .exec<{ subject: string | null; credential_expires_at: number | null }>(
        "DELETE FROM tickets WHERE ticket = ? AND expires_at > ? RETURNING subject, credential_expires_at",
        ticket,
        Date.now(),
      )
      .toArray()[0];
    if (!row) {
      return Response.json(
        { error: { code: "unauthorized", message: "The ticket is unknown, used or expired." } },
        { status: 401 },
      );
    }
    const pair = new WebSocketPair();
    const attachment: Attachment = { subject: row.subject, expiresAt: row.credential_expires_at };
    this.ctx.acceptWebSocket(pair[1], [row.subject === null ? ALL_SUBJECTS : `s:${row.subject}`]);
    pair[1].serializeAttachment(attachment);
    if (attachment.expiresAt !== null) await this.scheduleExpiry(attachment.expiresAt);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /**
   * Pushes task views to the sockets allowed to hear them. Sockets are listed once per call,
   * and a view nobody may hear is not even serialized: most batches reach no one.
   */
  publish(items: { subject: string; view: TaskView }[]): number {
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
        listeners = [...open(`s:${subject}`), ...admins];
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

  private async scheduleExpiry(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
