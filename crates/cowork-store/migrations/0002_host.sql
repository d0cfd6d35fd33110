-- Which front runs a task, so a daemon resumes after a restart the tasks it
-- was running and leaves the CLI's alone. Tasks from before are the CLI's:
-- there was no daemon.

ALTER TABLE tasks ADD COLUMN host TEXT NOT NULL DEFAULT 'cli';

-- Listings by status and the daemon's start-up query scan by status.
CREATE INDEX tasks_status ON tasks (status, host);
