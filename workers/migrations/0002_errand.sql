-- Errand's edge state. One database holds every tenant; every query is scoped by tenant.
-- The pipeline probe of 0001 is superseded by the real ingest path.
DROP TABLE IF EXISTS probes;

-- A tenant owns keys, topics, subscriptions and tasks. Limits are requests per minute.
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  origins TEXT NOT NULL DEFAULT '[]',          -- JSON array of allowed CORS origins
  rate_tenant INTEGER NOT NULL DEFAULT 60000,
  rate_subject INTEGER NOT NULL DEFAULT 6000,
  rate_ip INTEGER NOT NULL DEFAULT 6000,
  chaos TEXT,                                  -- test env only: queue chaos settings (JSON)
  created_at INTEGER NOT NULL
);

-- API keys: `ek_<id>_<secret>`; only SHA-256 of the secret is stored.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id),
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,                        -- JSON array: publish, read, admin
  topics TEXT NOT NULL DEFAULT '["*"]',        -- JSON array of topic patterns for publish
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys(tenant);

CREATE TABLE topics (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  ordering TEXT NOT NULL DEFAULT 'key',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, name)
);

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  topic TEXT NOT NULL,
  kind TEXT NOT NULL,                          -- queue | webhook | live
  target TEXT NOT NULL,
  result_from INTEGER NOT NULL DEFAULT 0,
  secret TEXT,                                 -- webhook signing secret
  old_secret TEXT,                             -- previous secret, valid until old_secret_until
  old_secret_until INTEGER,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE INDEX subscriptions_topic ON subscriptions(tenant, topic) WHERE deleted_at IS NULL;

-- Tasks. `key` is the internal id queue messages carry; it grows in commit order, so it is
-- also the sequence that orders tasks sharing an ordering key.
CREATE TABLE tasks (
  key INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  subject TEXT NOT NULL,                       -- '' for tasks published with an API key
  id TEXT NOT NULL,
  topic TEXT NOT NULL,
  payload TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  ordering_key TEXT,
  dedup_key TEXT,
  delay_seconds INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,                        -- EdgeTaskStatus, recomputed on every change
  result TEXT,
  batch_id TEXT NOT NULL,                      -- the ingest request that stored it
  accepted_at INTEGER NOT NULL,
  queued_at INTEGER,                           -- set once the ingest queue took it
  routed_at INTEGER,                           -- set once the router fanned it out
  cancelled_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tasks_identity ON tasks(tenant, subject, id);
CREATE UNIQUE INDEX tasks_dedup ON tasks(tenant, subject, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX tasks_batch ON tasks(batch_id);
CREATE INDEX tasks_unqueued ON tasks(accepted_at) WHERE queued_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX tasks_tenant_id ON tasks(tenant, id);

-- One row per (task, subscription), created with the task, so status and ordering see every
-- delivery from the start.
CREATE TABLE deliveries (
  task_key INTEGER NOT NULL,
  subscription TEXT NOT NULL,
  kind TEXT NOT NULL,
  result_from INTEGER NOT NULL DEFAULT 0,
  okey TEXT,                                   -- ordering scope: subject + ordering key
  status TEXT NOT NULL DEFAULT 'pending',      -- pending | delivered | dead | cancelled
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,                             -- JSON WireError
  result TEXT,
  dispatched_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (task_key, subscription)
);
CREATE INDEX deliveries_order ON deliveries(subscription, okey, task_key)
  WHERE status = 'pending' AND okey IS NOT NULL;
CREATE INDEX deliveries_stats ON deliveries(subscription, status);

CREATE TABLE dead_letters (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  task_key INTEGER NOT NULL,
  subscription TEXT NOT NULL,
  error TEXT,
  created_at INTEGER NOT NULL,
  replayed_at INTEGER,
  UNIQUE (task_key, subscription)
);
CREATE INDEX dead_letters_tenant ON dead_letters(tenant, created_at);
