/** `POST /v1/tokens`: a key with `admin` mints a client token for a subject and topics. */
import { MAX_ADMIN_BODY_BYTES, parseTokenRequest, type TokenResponse } from "@errand/core/wire";
import { Hono } from "hono";
import { signingSecret, signToken } from "../auth/client-token.ts";
import { hasScope } from "../auth/principal.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { jsonBody } from "./json-body.ts";

/** Mints a token; exported for the dev token endpoint, which mints without a key. */
export async function mintToken(
  env: Env,
  tenant: string,
  request: { subject: string; topics: string[]; ttlSeconds: number },
): Promise<TokenResponse> {
  const secret = signingSecret(env);
  const expiresAt = Date.now() + request.ttlSeconds * 1000;
  const token = await signToken(secret, {
    tenant,
    subject: request.subject,
    topics: request.topics,
    expiresAt,
  });
  return { token, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * The token route, mounted at `/v1/tokens`. The caller's scope is checked before its body is
 * read, so a caller that may not mint learns only that.
 */
export const tokensRoutes = new Hono<AppEnv>().post(
  "/",
  async function adminKeyOnly(c, next) {
    const principal = c.get("principal");
    if (principal.kind !== "key" || !hasScope(principal, "admin")) {
      throw new ApiError("forbidden", "Minting tokens needs an API key with the admin scope.");
    }
    await next();
  },
  jsonBody({ maxBytes: MAX_ADMIN_BODY_BYTES }),
  async (c) => {
    const parsed = parseTokenRequest(c.get("body"));
    if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
    return c.json(await mintToken(c.env, c.get("principal").tenant.id, parsed.value));
  },
);
