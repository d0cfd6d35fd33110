-- What recall ranks with, so that ranking never walks the full-text
-- index's lists of a prompt's common words (FTS5's bm25() reads every
-- list of every word in full, about 10 ms at 100,000 entries): each
-- entry's words as the index stems them, with their counts and its
-- length; how many entries hold each word; and the totals BM25 needs.
-- The store writes them in the same transaction as the entry, the
-- words taken apart by FTS5's own tokenizer (run on a temporary table,
-- which lives in memory). Removing an entry removes its row and every
-- word no other entry holds, and the connection's secure_delete zeroes
-- what they occupied, so a forgotten entry leaves no word behind here.

-- Ranking reads one row per candidate, so the row carries what ranking
-- needs of `memory` too (its scope and when it last changed: the
-- tie-break), and `memory` is not read until the winners are known.
CREATE TABLE memory_terms (
    entry      INTEGER PRIMARY KEY,  -- memory.rowid
    project    TEXT,                 -- memory.project
    updated_at INTEGER NOT NULL,     -- memory.updated_at
    tokens     INTEGER NOT NULL,     -- its length in tokens, as FTS5 counts it
    terms      TEXT NOT NULL         -- "word count word count ...": a word holds no space
);

CREATE TABLE memory_vocab (
    term    TEXT PRIMARY KEY,
    entries INTEGER NOT NULL CHECK (entries > 0)
) WITHOUT ROWID;

CREATE TABLE memory_totals (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL,
    tokens  INTEGER NOT NULL
);

-- Entries made before this migration, read back from the index itself.
CREATE VIRTUAL TABLE temp.memory_backfill USING fts5vocab(main, memory_fts, instance);

INSERT INTO memory_terms (entry, project, updated_at, tokens, terms)
    SELECT w.doc, m.project, m.updated_at, w.tokens, w.terms
    FROM (SELECT doc, sum(n) AS tokens, group_concat(term || ' ' || n, ' ') AS terms
          FROM (SELECT doc, term, count(*) AS n FROM temp.memory_backfill GROUP BY doc, term)
          GROUP BY doc) w
    JOIN memory m ON m.rowid = w.doc;

INSERT INTO memory_terms (entry, project, updated_at, tokens, terms)
    SELECT rowid, project, updated_at, 0, '' FROM memory
    WHERE rowid NOT IN (SELECT entry FROM memory_terms);

INSERT INTO memory_vocab (term, entries)
    SELECT term, count(DISTINCT doc) FROM temp.memory_backfill GROUP BY term;

INSERT INTO memory_totals (id, entries, tokens)
    SELECT 1, count(*), coalesce(sum(tokens), 0) FROM memory_terms;

DROP TABLE temp.memory_backfill;
