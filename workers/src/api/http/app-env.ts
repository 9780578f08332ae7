/** The Hono environment of the API: bindings from wrangler and what middleware sets. */
import type { Principal } from "../auth/principal.ts";

/** Bindings and per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** The authenticated caller, set by `authenticate`. */
    principal: Principal;
    /** The parsed JSON body, set by `jsonBody` on the routes that take one. */
    body: unknown;
    /** Test environment only (the fault layer): the subject's object fails its send after the commit. */
    failSend: boolean;
  };
}
