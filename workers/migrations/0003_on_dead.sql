-- What an ordering key does at a subscription when its head task goes dead: 'continue' moves on,
-- 'halt' stops the key until the dead delivery is replayed (DESIGN.md invariant 5).
ALTER TABLE subscriptions ADD COLUMN on_dead TEXT NOT NULL DEFAULT 'continue';

-- Finds the dead deliveries that halt a key (few), as deliveries_order finds the pending ones.
CREATE INDEX deliveries_dead_order ON deliveries(subscription, okey, task_key)
  WHERE status = 'dead' AND okey IS NOT NULL;
