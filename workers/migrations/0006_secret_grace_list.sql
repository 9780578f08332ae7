-- Every rotated-out webhook secret keeps its own grace period, not only the last one: rotating
-- twice within a day used to end the first old secret's grace at once. `old_secrets` is a JSON
-- array of {"secret", "until"} (Unix ms), newest first.
-- old_secret / old_secret_until stay, and rotation still writes them: code from before this
-- migration reads them, and runs between the migration and the deploy (and after a rollback).
ALTER TABLE subscriptions ADD COLUMN old_secrets TEXT NOT NULL DEFAULT '[]';
UPDATE subscriptions
  SET old_secrets = json_array(json_object('secret', old_secret, 'until', old_secret_until))
  WHERE old_secret IS NOT NULL AND old_secret_until IS NOT NULL;
