/** `POST /v1/tokens`: a key with `admin` mints a client token for a subject and topics. */
import { parseTokenRequest, type TokenResponse } from "@errand/core/wire";
import { Hono } from "hono";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { signingSecret, signToken } from "./client-token.ts";
import { hasScope } from "./principal.ts";

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

/** The token route, mounted at `/v1/tokens`. */
export const tokensRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const principal = c.get("principal");
  if (principal.kind !== "key" || !hasScope(principal, "admin")) {
    throw new ApiError("forbidden", "Minting tokens needs an API key with the admin scope.");
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError("invalid_json", "The body is not valid JSON.");
  }
  const parsed = parseTokenRequest(body);
  if (!parsed.ok) throw new ApiError("invalid_request", parsed.error.message);
  return c.json(await mintToken(c.env, principal.tenant.id, parsed.value));
});
