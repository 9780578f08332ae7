/**
 * The block a client address is counted under. An IPv4 address is its own block. An IPv6
 * client usually holds a whole /64 (RFC 6177 and common practice hand subscribers at least
 * that), so counting single IPv6 addresses would give it 2^64 fresh budgets: it is counted by
 * its /64 instead.
 */

/** `203.0.113.7` → itself; `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`. */
export function addressBlock(ip: string): string {
  // Not IPv6, or IPv6 with a dotted IPv4 tail (which a proxy never writes for a v6 client):
  // counted as it is, never folded into another client's block.
  if (!ip.includes(":") || ip.includes(".")) return ip;
  const halves = ip.toLowerCase().split("::");
  if (halves.length > 2) return ip;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves[1] ? halves[1].split(":") : [];
  const missing = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(missing, 0)).fill("0"), ...tail];
  if (groups.length !== 8 || !groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return ip;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
