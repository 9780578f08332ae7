/**
 * Where a webhook may point: https only, never a private, loopback, link-local or otherwise
 * internal address, and never the API's own host (so a webhook cannot make the API call
 * itself). Outside production, http://127.0.0.1:<port> is allowed for local receivers.
 */

/** Returns why a webhook target is refused, or undefined when it is allowed. */
export function checkWebhookTarget(
  env: Env,
  target: string,
  apiHosts: readonly string[],
): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return "The webhook target is not a URL.";
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const ownHosts = [...apiHosts, ...String(env.API_HOSTS ?? "").split(",")]
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (ownHosts.includes(host) || ownHosts.includes(url.host.toLowerCase()))
    return "A webhook may not target the API itself.";
  if (url.username || url.password) return "A webhook target may not carry credentials.";
  if (env.ERRAND_ENV !== "production" && url.protocol === "http:" && host === "127.0.0.1") return undefined;
  if (url.protocol !== "https:") return "A webhook target must use https.";
  if (isInternalHost(host)) return "A webhook may not target a private, loopback or internal address.";
  return undefined;
}

function isInternalHost(host: string): boolean {
  if (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host.endsWith(".internal")
  ) {
    return true;
  }
  if (!host.includes(".") && !host.includes(":")) return true;
  const v4 = parseIpv4(host);
  if (v4) return isInternalIpv4(v4);
  if (host.includes(":")) return isInternalIpv6(host);
  return false;
}

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function isInternalIpv4([a = 0, b = 0]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isInternalIpv6(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "::" || h === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped?.[1]) {
    const v4 = parseIpv4(mapped[1]);
    return v4 ? isInternalIpv4(v4) : true;
  }
  return /^(?:f[cd]|fe[89ab])/.test(h) || h.startsWith("::ffff:");
}
