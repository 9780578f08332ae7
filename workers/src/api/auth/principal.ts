/** Who is calling: an API key (a server) or a client token (a browser, bound to a subject). */
import { topicMatches } from "@errand/core/wire";
import type { Scope } from "./api-key.ts";
import type { Tenant } from "./tenant.ts";

/** The authenticated caller of a request. */
export type Principal =
  | {
      kind: "key";
      keyId: string;
      tenant: Tenant;
      /** Tasks published with a key belong to the tenant's server subject, `""`. */
      subject: "";
      scopes: Scope[];
      topics: string[];
    }
  | {
      kind: "token";
      tenant: Tenant;
      subject: string;
      topics: string[];
      /** Unix milliseconds. */
      expiresAt: number;
    };

/** Whether the principal holds a scope. A token publishes and reads its own subject's tasks. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  if (principal.kind === "token") return scope === "publish" || scope === "read";
  return principal.scopes.includes(scope);
}

/** Whether the principal may publish to `topic`. */
export function mayPublish(principal: Principal, topic: string): boolean {
  return hasScope(principal, "publish") && principal.topics.some((pattern) => topicMatches(pattern, topic));
}

/**
 * The subject whose tasks the principal may read: a token its own; a key with `read` or
 * `admin` any subject of its tenant (undefined).
 */
export function readableSubject(principal: Principal): string | undefined {
  return principal.kind === "token" ? principal.subject : undefined;
}
