/**
 * Live events: `POST /v1/events/ticket` (authenticated) gives a one-use ticket; `GET
 * /v1/events?ticket=…` opens the WebSocket on the tenant's hub. Tickets keep long-lived
 * credentials out of URLs, which end up in logs. A ticket is signed (event-ticket.ts), so one
 * that was never issued is refused here, before any hub is reached.
 */
import type { EventTicketResponse } from "@errand/core/wire";
import { Hono } from "hono";
import { authenticate } from "../auth/authenticate.ts";
import { signingSecret, tokenSecrets } from "../auth/client-token.ts";
import { signTicket, TICKET_TTL_MS, verifyTicket } from "../auth/event-ticket.ts";
import { hasScope } from "../auth/principal.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** The events routes, mounted at `/v1/events`. */
export const eventsRoutes = new Hono<AppEnv>()
  .post("/ticket", authenticate(), async (c) => {
    const principal = c.get("principal");
    if (principal.kind === "key" && !hasScope(principal, "admin") && !hasScope(principal, "read")) {
      throw new ApiError("forbidden", "Hearing events needs a token, or a key with read or admin scope.");
    }
    const expiresAt = Date.now() + TICKET_TTL_MS;
    const ticket = await signTicket(signingSecret(c.env), principal.tenant.id, expiresAt);
    const hub = c.env.HUB.get(c.env.HUB.idFromName(principal.tenant.id));
    const issued = await hub.issueTicket(
      ticket,
      expiresAt,
      principal.kind === "token"
        ? { subject: principal.subject, expiresAt: principal.expiresAt, keyId: null }
        : { subject: null, expiresAt: null, keyId: principal.keyId },
    );
    if (!issued) throw new ApiError("unauthorized", "The API key was revoked.");
    return c.json({ ticket, expiresAt: new Date(expiresAt).toISOString() } satisfies EventTicketResponse);
  })
  .get("/", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("invalid_request", "Open /v1/events as a WebSocket.");
    }
    const verified = await verifyTicket(tokenSecrets(c.env), c.req.query("ticket") ?? "");
    if (!verified) {
      throw new ApiError(
        "unauthorized",
        "Open /v1/events with an unexpired ticket from POST /v1/events/ticket.",
      );
    }
    return c.env.HUB.get(c.env.HUB.idFromName(verified.tenant)).fetch(c.req.raw);
  });
