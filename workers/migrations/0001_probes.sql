-- Pipeline probes: a dev/test-only round trip HTTP -> ingest queue -> router -> D1 that
-- proves the pieces are wired (see workers/src/api/probe.ts).
CREATE TABLE probes (
  id TEXT PRIMARY KEY,
  sent_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);
