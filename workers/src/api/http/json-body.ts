/**
 * The one reader of JSON request bodies. A route that takes JSON puts `jsonBody(…)` in front of
 * its handler, which then reads the value with `c.get("body")`. Each check answers with its
 * contract error, in this order:
 * 1. media type: `application/json` (a `charset` parameter, if any, must be UTF-8), else
 *    `415 unsupported_media_type`;
 * 2. size: a declared `Content-Length` over the limit, or more bytes than the limit arriving
 *    (counted as the body streams in, so an oversized one is never read whole),
 *    `413 payload_too_large`;
 * 3. strict UTF-8 (RFC 8259 §8.1), `400 invalid_json`: invalid bytes are refused, not stored
 *    as U+FFFD;
 * 4. JSON syntax, `400 invalid_json`.
 * The schema is the route's: it answers `400 invalid_request`.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** How one route reads its body. */
export interface JsonBodyOptions {
  /** Most bytes accepted; more is `413 payload_too_large`. */
  maxBytes: number;
  /**
   * Whether the body may be left out (then `c.get("body")` is undefined): no bytes, or only
   * whitespace. A body that is sent must still be JSON and say so.
   */
  optional?: boolean;
}

/** Reads, checks and parses the request's JSON body into the `body` variable. */
export function jsonBody(options: JsonBodyOptions): MiddlewareHandler<AppEnv> {
  return async function jsonBody(c, next) {
    const type = c.req.header("content-type");
    if (!isJsonMediaType(type)) {
      // A route whose body is optional may be called with none at all, and then no type is due.
      if (!(options.optional && type === undefined && (await isEmpty(c.req.raw)))) {
        throw new ApiError("unsupported_media_type", "Send the body as content-type: application/json.");
      }
      c.set("body", undefined);
      return next();
    }
    const declared = Number(c.req.header("content-length"));
    if (Number.isFinite(declared) && declared > options.maxBytes) throw tooLarge(options.maxBytes);
    const text = decodeUtf8(await readLimited(c.req.raw, options.maxBytes));
    if (options.optional && text.trim() === "") c.set("body", undefined);
    else c.set("body", parseJson(text));
    return next();
  };
}

/** Whether a `Content-Type` names JSON in UTF-8, JSON's only interoperable encoding. */
function isJsonMediaType(type: string | undefined): boolean {
  if (type === undefined) return false;
  const [essence = "", ...parameters] = type.split(";");
  if (essence.trim().toLowerCase() !== "application/json") return false;
  return parameters.every((parameter) => {
    const [name = "", value = ""] = parameter.split("=");
    return name.trim().toLowerCase() !== "charset" || /^"?utf-8"?$/i.test(value.trim());
  });
}

/**
 * The body's bytes, read chunk by chunk; `413 payload_too_large` (and the rest left unread) as
 * soon as more than `maxBytes` have arrived, so a body without a `Content-Length` (chunked) is
 * bounded too.
 */
async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Whether the body holds no byte; reads at most up to its first non-empty chunk. */
async function isEmpty(request: Request): Promise<boolean> {
  if (request.body === null) return true;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    if (value.byteLength > 0) {
      await reader.cancel();
      return false;
    }
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_json", "The body is not valid UTF-8.");
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError("invalid_json", "The body is not valid JSON.");
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `The body is over ${maxBytes} bytes.`);
}
