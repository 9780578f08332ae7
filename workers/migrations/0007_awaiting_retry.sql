-- A delivery whose last attempt reported a retryable failure and whose next attempt has not
-- been claimed yet: nothing of it runs, so cancelling its task may move its ordering key on at
-- once instead of waiting for the repair alarm. A claim clears it, a reported retry sets it.
-- 0 means "an attempt may be running", the safe side, which is also what code from before this
-- migration leaves behind (it never sets it).
ALTER TABLE deliveries ADD COLUMN awaiting_retry INTEGER NOT NULL DEFAULT 0;
