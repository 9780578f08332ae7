/**
 * Webhook signatures: `Errand-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." +
 * raw body)>`. Web Crypto only, so the verifier runs in any JS runtime (Workers, Node ≥ 20,
 * Deno, Bun, browsers).
 */

/** The header Errand signs webhook deliveries with. */
export const SIGNATURE_HEADER = "Errand-Signature";
/** The header carrying the task id, for receivers to dedupe on. */
export const TASK_ID_HEADER = "Errand-Task-Id";
/** Default tolerance: signatures older (or further in the future) than 5 minutes are refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Why a signature was refused. */
export type SignatureFailure = "missing" | "malformed" | "stale" | "mismatch";

/** The verifier's answer. */
export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyOptions {
  /** Seconds a signature stays valid; 300 by default. */
  toleranceSeconds?: number;
  /** The current time in Unix seconds, for tests. */
  now?: number;
}

const encoder = new TextEncoder();

/**
 * Signs a raw body: the value of the `Errand-Signature` header, with one `v1` signature per
 * secret (the current one, then any still in a rotation's grace period).
 *
 * @example
 * ```ts
 * const header = await signWebhook(secret, body); // "t=1735689600,v1=5f2b…"
 * const rotating = await signWebhook([secret, previous], body); // "t=…,v1=…,v1=…"
 * ```
 */
export async function signWebhook(
  secrets: string | readonly string[],
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<string> {
  const signed = `${timestamp}.${body}`;
  const all = typeof secrets === "string" ? [secrets] : secrets;
  const signatures = await Promise.all(all.map(async (secret) => `v1=${await hmacHex(secret, signed)}`));
  return [`t=${timestamp}`, ...signatures].join(",");
}

/**
 * Verifies an `Errand-Signature` header against the raw body and any of `secrets` (pass the old
 * and the new secret while a rotation's grace period lasts). Compares in constant time.
 *
 * @example
 * ```ts
 * const body = await request.text();
 * const check = await verifyWebhookSignature(request.headers.get("Errand-Signature"), body, [env.ERRAND_SECRET]);
 * if (!check.ok) return new Response(check.reason, { status: 401 });
 * ```
 */
export async function verifyWebhookSignature(
  header: string | null | undefined,
  rawBody: string,
  secrets: readonly string[],
  options: VerifyOptions = {},
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "missing" };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: "malformed" };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - parsed.timestamp) > tolerance) return { ok: false, reason: "stale" };
  let match = false;
  for (const secret of secrets) {
    const expected = await hmacHex(secret, `${parsed.timestamp}.${rawBody}`);
    for (const candidate of parsed.signatures) if (constantTimeEqual(expected, candidate)) match = true;
  }
  return match ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: "mismatch" };
}

function parseHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const bytes = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
