/**
 * Live events: `POST /v1/events/ticket` (authenticated) gives a one-use ticket; `GET
 * /v1/events?ticket=…` opens the WebSocket where the ticket says: a token's on its subject's
 * object, a key's on the tenant's hub. Tickets keep long-lived
 * credentials out of URLs, which end up in logs. A ticket is signed (event-ticket.ts), so one
 * that was never issued is refused here, before any hub is reached.
 */
import type { EventTicketResponse } from "@errand/core/wire";
import { Hono } from "hono";
import { authenticate, chargeSubject } from "../auth/authenticate.ts";
import { signingSecret, tokenSecrets } from "../auth/client-token.ts";
import { HUB_HOLDER, signTicket, TICKET_TTL_MS, verifyTicket } from "../auth/event-ticket.ts";
import { hasScope } from "../auth/principal.ts";
import { objectByHex, subjectObject, subjectObjectId } from "../objects/subject-ref.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** The events routes, mounted at `/v1/events`. */
export const eventsRoutes = new Hono<AppEnv>()
  .post("/ticket", authenticate(), chargeSubject(), async (c) => {
    const principal = c.get("principal");
    if (principal.kind === "key" && !hasScope(principal, "admin") && !hasScope(principal, "read")) {
      throw new ApiError("forbidden", "Hearing events needs a token, or a key with read or admin scope.");
    }
    const expiresAt = Date.now() + TICKET_TTL_MS;
    const tenant = principal.tenant.id;
    let issued: boolean;
    let ticket: string;
    if (principal.kind === "token") {
      // A token's socket is held by its subject's object, where its tasks are.
      const id = subjectObjectId(c.env, tenant, principal.subject);
      ticket = await signTicket(signingSecret(c.env), tenant, expiresAt, id.toString());
      issued = await subjectObject(c.env, tenant, principal.subject).issueTicket(
        { tenant, subject: principal.subject },
        ticket,
        expiresAt,
        { expiresAt: principal.expiresAt, keyId: null },
      );
    } else {
      ticket = await signTicket(signingSecret(c.env), tenant, expiresAt, HUB_HOLDER);
      issued = await c.env.HUB.get(c.env.HUB.idFromName(tenant)).issueTicket(ticket, expiresAt, {
        expiresAt: null,
        keyId: principal.keyId,
      });
    }
    if (!issued) throw new ApiError("unauthorized", "The API key was revoked.");
    return c.json({ ticket, expiresAt: new Date(expiresAt).toISOString() } satisfies EventTicketResponse);
  })
  .get("/", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("invalid_request", "Open /v1/events as a WebSocket.");
    }
    const verified = await verifyTicket(tokenSecrets(c.env), c.req.query("ticket") ?? "");
    const holder =
      verified?.holder === HUB_HOLDER
        ? c.env.HUB.get(c.env.HUB.idFromName(verified.tenant))
        : verified && objectByHex(c.env, verified.holder);
    if (!holder) {
      throw new ApiError(
        "unauthorized",
        "Open /v1/events with an unexpired ticket from POST /v1/events/ticket.",
      );
    }
    return holder.fetch(c.req.raw);
  });
