/** Short, printable renderings of values for error messages. */

const MAX_PREVIEW = 40;

/**
 * `value` as a person would type it (`"abc"`, `12`, `null`, `an array`), cut to 40 characters,
 * so a message can say what it got without echoing a megabyte back.
 */
export function preview(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    const quoted = JSON.stringify(value);
    return quoted.length <= MAX_PREVIEW ? quoted : `${quoted.slice(0, MAX_PREVIEW - 2)}…"`;
  }
  if (typeof value === "object") return "an object";
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}
