-- Schedules: a prompt the daemon runs on a recurrence, with the scope every
-- run gets. `state` is the scheduler's own record (recurrence, catch-up
-- policy, paused, the instant checked through); `scope` what runs get.
-- Names are unique ignoring case (a person types them).

CREATE TABLE schedules (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    project    TEXT,             -- projects.id; NULL: none
    prompt     TEXT NOT NULL,
    state      TEXT NOT NULL,    -- JSON cowork_scheduler::ScheduleState
    scope      TEXT NOT NULL,    -- JSON cowork_protocol::ScheduleScope
    created_at INTEGER NOT NULL, -- unix ms
    updated_at INTEGER NOT NULL  -- unix ms
);

CREATE UNIQUE INDEX schedules_name ON schedules (name COLLATE NOCASE);

-- Every due time of every schedule, run or not: a run (on time, caught
-- up, or asked for) with its task once started, or a due time missed and
-- why. Nothing is dropped silently.
CREATE TABLE schedule_runs (
    id          INTEGER PRIMARY KEY,
    schedule    TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    due         INTEGER NOT NULL,           -- unix ms
    kind        TEXT NOT NULL,              -- on_time | catch_up | manual | missed
    reason      TEXT,                       -- missed: JSON cowork_scheduler::MissReason
    count       INTEGER NOT NULL DEFAULT 1, -- missed due times this row stands for
    last_due    INTEGER,                    -- with count > 1: the last of them
    task        TEXT,                       -- the run's task, once started
    error       TEXT,                       -- why the run could not start
    recorded_at INTEGER NOT NULL            -- unix ms
);

CREATE INDEX schedule_runs_by_schedule ON schedule_runs (schedule, due);
-- A due time runs once, whatever happens to the daemon in between.
CREATE UNIQUE INDEX schedule_runs_once ON schedule_runs (schedule, due)
    WHERE kind IN ('on_time', 'catch_up');

-- Bumped by every change a person makes to schedules, so the daemon sees
-- a CLI's change with one cheap read.
CREATE TABLE schedule_rev (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    rev  INTEGER NOT NULL
);
INSERT INTO schedule_rev (only, rev) VALUES (1, 0);

-- What the person was told (or would have been): a task finished, failed
-- or waits. The web UI's badge counts the unread ones.
CREATE TABLE notices (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL, -- unix ms
    kind    TEXT NOT NULL,    -- finished | failed | waiting
    task    TEXT NOT NULL,
    title   TEXT NOT NULL,
    body    TEXT NOT NULL,
    read_at INTEGER           -- unix ms; NULL: unread
);

CREATE INDEX notices_unread ON notices (read_at, id);
