-- Memory: notes that outlive a task, global or for one project, with a
-- full-text index for recall. Deleting an entry must leave no copy in the
-- file: the index is external-content (the text is stored once, in
-- `memory`) with FTS5's secure-delete on, and the store runs with
-- `PRAGMA secure_delete` and checkpoints the WAL after a removal.

CREATE TABLE memory (
    rowid      INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,  -- short random hex, typed by people
    scope      TEXT NOT NULL CHECK (scope IN ('global', 'project')),
    project    TEXT,                  -- the project's id; NULL when global
    content    TEXT NOT NULL,
    task_id    TEXT,                  -- the task that made it; NULL when the person did
    created_at INTEGER NOT NULL,      -- unix ms
    updated_at INTEGER NOT NULL,      -- unix ms
    CHECK ((scope = 'global') = (project IS NULL))
);

CREATE INDEX memory_project ON memory (project, updated_at);

-- Porter stemming, so "invoices" in a prompt finds "invoice" in a note.
CREATE VIRTUAL TABLE memory_fts USING fts5(
    content,
    content = 'memory',
    content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Without it a deleted entry's terms stay in the index's pages until a
-- merge happens to rewrite them.
INSERT INTO memory_fts (memory_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER memory_inserted AFTER INSERT ON memory BEGIN
    INSERT INTO memory_fts (rowid, content) VALUES (new.rowid, new.content);
END;

CREATE TRIGGER memory_deleted AFTER DELETE ON memory BEGIN
    INSERT INTO memory_fts (memory_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;

CREATE TRIGGER memory_edited AFTER UPDATE OF content ON memory BEGIN
    INSERT INTO memory_fts (memory_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO memory_fts (rowid, content) VALUES (new.rowid, new.content);
END;
