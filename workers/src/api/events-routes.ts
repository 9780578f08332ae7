/**
 * Live events: `POST /v1/events/ticket` (authenticated) gives a one-use ticket; `GET
 * /v1/events?ticket=…` opens the WebSocket on the tenant's hub. Tickets keep long-lived
 * credentials out of URLs, which end up in logs.
 */
import type { EventTicketResponse } from "@errand/core";
import { Hono } from "hono";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { authenticate } from "./authenticate.ts";
import { randomSecret } from "./crypto.ts";
import { hasScope } from "./principal.ts";

/** The events routes, mounted at `/v1/events`. */
export const eventsRoutes = new Hono<AppEnv>()
  .post("/ticket", authenticate(), async (c) => {
    const principal = c.get("principal");
    if (principal.kind === "key" && !hasScope(principal, "admin") && !hasScope(principal, "read")) {
      throw new ApiError("forbidden", "Hearing events needs a token, or a key with read or admin scope.");
    }
    const ticket = `${principal.tenant.id}.${randomSecret(24)}`;
    const hub = c.env.HUB.get(c.env.HUB.idFromName(principal.tenant.id));
    const { expiresAt } =
      principal.kind === "token"
        ? await hub.issueTicket(ticket, principal.subject, principal.expiresAt)
        : await hub.issueTicket(ticket, null, null);
    return c.json({ ticket, expiresAt: new Date(expiresAt).toISOString() } satisfies EventTicketResponse);
  })
  .get("/", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("invalid_request", "Open /v1/events as a WebSocket.");
    }
    const ticket = c.req.query("ticket") ?? "";
    const tenant = ticket.slice(0, ticket.indexOf("."));
    if (!tenant)
      throw new ApiError("unauthorized", "Open /v1/events with a ticket from POST /v1/events/ticket.");
    return c.env.HUB.get(c.env.HUB.idFromName(tenant)).fetch(c.req.raw);
  });
