/** Messages on the ingest queue. Queue messages carry ids; payloads stay in D1. */
export type IngestMessage = { kind: "probe"; id: string; sentAt: number };
