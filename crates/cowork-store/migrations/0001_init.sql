-- Tasks and their event logs. The event log is the single source of truth;
-- the columns of `tasks` past `spec` are an index kept in step with it so
-- listings need not replay every log.

CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,
    created_at    INTEGER NOT NULL, -- unix ms
    updated_at    INTEGER NOT NULL, -- unix ms
    status        TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    spec          TEXT NOT NULL,    -- JSON TaskSpec
    owner_pid     INTEGER,
    owner_start   INTEGER,          -- clock ticks since boot, /proc/<pid>/stat field 22
    status_reason TEXT,
    turns         INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX tasks_created_at ON tasks (created_at);

CREATE TABLE events (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL, -- unix ms
    kind    TEXT NOT NULL,
    payload TEXT NOT NULL,    -- JSON of the Event
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
