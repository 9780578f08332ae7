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
  // A fully qualified name's trailing dot names the same host: drop it before every check.
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
  const ownHosts = [...apiHosts, ...String(env.API_HOSTS ?? "").split(",")]
    .map((h) => h.trim().toLowerCase().replace(/\.+$/, ""))
    .filter(Boolean);
  const hostAndPort = url.port === "" ? host : `${host}:${url.port}`;
  if (ownHosts.includes(host) || ownHosts.includes(hostAndPort))
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

/**
 * Loopback, unspecified, unique-local, link- and site-local, multicast, documentation, and every
 * form that embeds an IPv4 address (IPv4-compatible, -mapped and -translated, NAT64, 6to4,
 * Teredo) unless the embedded address is public.
 */
function isInternalIpv6(host: string): boolean {
  const groups = parseIpv6(host);
  if (!groups) return true;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  // ::/80 holds ::, ::1, the IPv4-compatible ::a.b.c.d and the IPv4-mapped ::ffff:a.b.c.d.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) return true;
  // ::ffff:0:0:0/96, the IPv4-translated ::ffff:0:a.b.c.d (RFC 2765), which stacks may route
  // to the embedded IPv4 address as they do the mapped form.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return true;
  if (g0 === 0x64 && g1 === 0xff9b)
    return g2 !== 0 || g3 !== 0 || g4 !== 0 || g5 !== 0 || isInternalIpv4(v4(g6, g7));
  if (g0 === 0x2002) return isInternalIpv4(v4(g1, g2));
  if (g0 === 0x2001 && (g1 === 0 || g1 === 0xdb8)) return true; // Teredo, documentation
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only
  return (
    (g0 & 0xfe00) === 0xfc00 ||
    (g0 & 0xffc0) === 0xfe80 ||
    (g0 & 0xffc0) === 0xfec0 ||
    (g0 & 0xff00) === 0xff00
  );
}

/**
 * The eight 16-bit groups of an IPv6 address, or undefined. The host comes from `URL.hostname`,
 * which writes an embedded dotted IPv4 in hex (`[::ffff:10.0.0.1]` → `::ffff:a00:1`).
 */
function parseIpv6(host: string): number[] | undefined {
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined) => (s ? s.split(":") : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => Number.parseInt(g, 16));
}
