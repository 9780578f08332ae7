/**
 * Finding a subject's object: one per (tenant, subject), named by both, so a subject's writes,
 * reads, dedupe, ordering and live socket all meet in one place. An API key publishes as the
 * tenant's server subject, `""`.
 */
import type { Subject } from "./subject.ts";

type Remote<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/**
 * A subject object's RPC as callers use it. Declared here rather than derived by the runtime's
 * stub types, whose mapping of the recursive `JsonValue` in task views is too deep for the compiler.
 */
export type SubjectApi = {
  [K in
    | "ingest"
    | "charge"
    | "claim"
    | "complete"
    | "fail"
    | "markDead"
    | "views"
    | "topicOf"
    | "cancel"
    | "replay"
    | "dropSubscription"
    | "issueTicket"
    | "usage"
    | "latencies"
    | "repairNow"
    | "fetch"]: Remote<Subject[K]>;
};

/** The object of a subject of a tenant. */
export function subjectObject(env: Env, tenant: string, subject: string): SubjectApi {
  return stub(env.SUBJECT.get(subjectObjectId(env, tenant, subject)));
}

function stub(object: DurableObjectStub<Subject>): SubjectApi {
  return object as unknown as SubjectApi;
}

/** The id of a subject's object. */
export function subjectObjectId(env: Env, tenant: string, subject: string): DurableObjectId {
  return env.SUBJECT.idFromName(JSON.stringify([tenant, subject]));
}

/** The object a delivery message names (its id as hex), or undefined when malformed. */
export function objectByHex(env: Env, hex: string): SubjectApi | undefined {
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  try {
    return stub(env.SUBJECT.get(env.SUBJECT.idFromString(hex)));
  } catch {
    return undefined;
  }
}
