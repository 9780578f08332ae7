/**
 * API keys, for servers: `ek_<id>_<secret>`. Only the SHA-256 of the secret is stored, and it
 * is compared in constant time, so neither a database leak nor response timing reveals a key.
 */
import { randomSecret, sha256Hex, timingSafeEqual } from "./crypto.ts";
import { parseStringArray, TENANT_COLUMNS, type Tenant, type TenantRow, tenantFromRow } from "./tenant.ts";

/** What a key may do. */
export type Scope = "publish" | "read" | "admin";

/** Every scope, in a stable order. */
export const SCOPES: readonly Scope[] = ["publish", "read", "admin"];

/** A verified API key. */
export interface ApiKey {
  id: string;
  tenant: Tenant;
  scopes: Scope[];
  /** Topic patterns the key may publish to. */
  topics: string[];
}

const KEY_SHAPE = /^ek_([A-Za-z0-9]{8,32})_([A-Za-z0-9_-]{16,128})$/;

/** Splits a presented key into id and secret; undefined when it is not shaped like a key. */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = KEY_SHAPE.exec(key);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined;
}

/** Mints a new key: the full key (shown once) and the row to store. */
export async function mintApiKey(): Promise<{ id: string; key: string; secretHash: string }> {
  const id = randomSecret(12)
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 12)
    .padEnd(12, "0");
  const secret = randomSecret(24);
  return { id, key: `ek_${id}_${secret}`, secretHash: await sha256Hex(secret) };
}

/** Stores a key for a tenant. */
export function insertApiKey(
  db: D1Database,
  key: { id: string; secretHash: string },
  tenant: string,
  scopes: readonly Scope[],
  topics: readonly string[],
  name: string,
): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO api_keys (id, tenant, secret_hash, scopes, topics, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(key.id, tenant, key.secretHash, JSON.stringify(scopes), JSON.stringify(topics), name, Date.now());
}

/** Verifies a presented key; undefined when unknown, revoked or wrong. */
export async function verifyApiKey(db: D1Database, presented: string): Promise<ApiKey | undefined> {
  const parts = parseApiKey(presented);
  if (!parts) return undefined;
  const row = await db
    .prepare(
      `SELECT k.id, k.secret_hash, k.scopes, k.topics, ${TENANT_COLUMNS}
       FROM api_keys k JOIN tenants t ON t.id = k.tenant WHERE k.id = ? AND k.revoked_at IS NULL`,
    )
    .bind(parts.id)
    .first<
      { id: string; secret_hash: string; scopes: string; topics: string } & Omit<TenantRow, "id"> & {
          tenant_id: string;
        }
    >();
  // Hash even when the id is unknown, so a miss costs what a hit costs.
  const hash = await sha256Hex(parts.secret);
  if (!row || !timingSafeEqual(hash, row.secret_hash)) return undefined;
  return {
    id: row.id,
    tenant: tenantFromRow(row),
    scopes: parseStringArray(row.scopes).filter((s): s is Scope => (SCOPES as string[]).includes(s)),
    topics: parseStringArray(row.topics),
  };
}
