import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { meteredD1 } from "./metered-bindings.ts";
import type { Tally } from "./meters.ts";

describe("meteredD1", () => {
  it("counts each statement with the rows its meta reports, in batches and first() too", async () => {
    const tallies: Record<string, Tally> = {};
    const db = meteredD1(env.DB, tallies);
    const table = `metered_${crypto.randomUUID().replaceAll("-", "")}`;
    await db.prepare(`CREATE TABLE ${table} (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`).run();
    await db.batch([
      db.prepare(`INSERT INTO ${table} (v) VALUES (?)`).bind("a"),
      db.prepare(`INSERT INTO ${table} (v) VALUES (?)`).bind("b"),
    ]);
    const row = await db.prepare(`SELECT v FROM ${table} WHERE v = ?`).bind("b").first<{ v: string }>();
    const value = await db.prepare(`SELECT v FROM ${table} WHERE v = ?`).bind("a").first<string>("v");

    expect(row).toEqual({ v: "b" });
    expect(value).toBe("a");
    const insert = tallies[`INSERT INTO ${table} (v) VALUES (?)`];
    // Each insert writes the row and its entry in the UNIQUE index.
    expect(insert).toEqual({ calls: 2, rowsRead: expect.any(Number), rowsWritten: 4 });
    expect(tallies[`SELECT v FROM ${table} WHERE v = ?`]?.calls).toBe(2);
  });
});
