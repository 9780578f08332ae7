-- How many of a delivery's claimed attempts (`attempts`) have reported a failure or, once it was
-- cancelled, an outcome: `attempts - reported` of them may still be running. Cancelling a task
-- moves the ordering key of a delivery with none running on at once; one with attempts running
-- holds it until the last of them reports (or the repair alarm moves it on, if none ever does).
-- Claims keep counting `attempts` alone, as code from before this migration does, so a claim
-- made by that code between the migration and the deploy counts as running.
-- Deliveries already claimed count one attempt as running, the safe side: before this column a
-- delivery with attempts held its key at cancel.
ALTER TABLE deliveries ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET reported = MAX(attempts - 1, 0);
