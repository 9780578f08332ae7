-- Edge state v2: tasks, deliveries and dead letters live in each subject's Durable Object
-- (workers/src/api/objects/subject.ts). D1 keeps what is tenant-wide and small: tenants, keys,
-- topics, subscriptions, and the views that subject objects feed in batches. Before 1.0 no data
-- migration is owed: the old task tables are dropped with what they held.
DROP TABLE IF EXISTS dead_letters;

-- A tenant's own request limit and its per-address limit are the platform's rate limiting
-- bindings now (TENANT_RATE, CLIENT_RATE in wrangler.toml); the subject's stays per tenant.
ALTER TABLE tenants DROP COLUMN rate_tenant;
ALTER TABLE tenants DROP COLUMN rate_ip;
DROP TABLE IF EXISTS deliveries;
DROP TABLE IF EXISTS tasks;

-- Admin reads of a task by id (any subject): which object holds it. Fed by subject objects
-- (not for the server subject "", which admin reads ask first).
CREATE TABLE task_index (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  subject TEXT NOT NULL,
  object TEXT NOT NULL,
  topic TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, id, subject)
) WITHOUT ROWID;

-- GET /v1/dead-letters and replay: a copy of each object's dead letters, fed by the object.
CREATE TABLE dead_letters (
  id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  object TEXT NOT NULL,
  subject TEXT NOT NULL,
  task_key INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  subscription TEXT NOT NULL,
  error TEXT,
  created_at INTEGER NOT NULL,
  replayed_at INTEGER,
  PRIMARY KEY (object, task_key, subscription)
);
CREATE UNIQUE INDEX dead_letters_id ON dead_letters(id);
CREATE INDEX dead_letters_tenant ON dead_letters(tenant, created_at);

-- GET /v1/stats: each subject's counts (JSON), summed per tenant at read time.
CREATE TABLE subject_stats (
  tenant TEXT NOT NULL,
  object TEXT NOT NULL,
  subject TEXT NOT NULL,
  stats TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, object)
);
