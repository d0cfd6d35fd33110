-- Projects: folders, links, instructions and defaults every task started in
-- the project gets. Names are unique ignoring case (a person types them);
-- an archived project keeps its tasks, memory and files but takes no new
-- task and is listed only on request.

CREATE TABLE projects (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL, -- unix ms
    updated_at   INTEGER NOT NULL, -- unix ms
    archived_at  INTEGER,          -- unix ms; NULL: active
    instructions TEXT NOT NULL DEFAULT '',
    folders      TEXT NOT NULL DEFAULT '[]', -- JSON [{path, read_only}]
    links        TEXT NOT NULL DEFAULT '[]', -- JSON [url]
    mode         TEXT,                       -- default permission mode
    model        TEXT                        -- default model name
);

CREATE UNIQUE INDEX projects_name ON projects (name COLLATE NOCASE);
