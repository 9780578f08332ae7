-- Pending deliveries not sent yet: what the repair alarm looks for every interval. Without it
-- that look reads every delivery ever stored.
CREATE INDEX deliveries_unsent ON deliveries(task_key) WHERE status = 'pending' AND dispatched_at IS NULL;
