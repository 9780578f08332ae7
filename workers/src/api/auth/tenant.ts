/** Tenants: who owns keys, topics and tasks, and the limits and origins that apply to them. */

/** A tenant as requests see it. */
export interface Tenant {
  id: string;
  /**
   * Origins allowed to call the API from a browser with this tenant's credentials (the
   * `origins` column of its row). Isolates cache them: a change is seen within 30 s (cors.ts).
   */
  origins: string[];
  /**
   * Requests per minute of one subject (every token minted for it). The tenant's and each client
   * address's limits are the platform bindings' (wrangler.toml), the same for every tenant.
   */
  rates: { subject: number };
}

/** A `tenants` row. */
export interface TenantRow {
  id: string;
  origins: string;
  rate_subject: number;
}

/** The columns {@link tenantFromRow} reads, for SELECTs that join `tenants` as `t`. */
export const TENANT_COLUMNS = "t.id AS tenant_id, t.origins, t.rate_subject";

/** Builds a {@link Tenant} from the columns of {@link TENANT_COLUMNS}. */
export function tenantFromRow(row: Omit<TenantRow, "id"> & { tenant_id: string }): Tenant {
  return {
    id: row.tenant_id,
    origins: parseStringArray(row.origins),
    rates: { subject: row.rate_subject },
  };
}

/** Loads a tenant by id. */
export async function loadTenant(db: D1Database, id: string): Promise<Tenant | undefined> {
  const row = await db
    .prepare(`SELECT ${TENANT_COLUMNS} FROM tenants t WHERE t.id = ?`)
    .bind(id)
    .first<Omit<TenantRow, "id"> & { tenant_id: string }>();
  return row ? tenantFromRow(row) : undefined;
}

/** Parses a JSON array of strings stored in a column; anything else reads as empty. */
export function parseStringArray(json: string | null): string[] {
  if (json === null) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}
