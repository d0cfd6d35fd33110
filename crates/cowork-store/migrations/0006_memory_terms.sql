-- What recall ranks with, so that ranking never walks the full-text
-- index's lists of a prompt's common words (FTS5's bm25() reads every
-- list of every word in full, about 10 ms at 100,000 entries): each
-- entry's words as the index stems them, with their counts and its
-- length; how many entries hold each word; and the totals BM25 needs.
-- The store writes them in the same transaction as the entry, the
-- words taken apart by FTS5's own tokenizer (run on a temporary table,
-- which lives in memory); entries made before this migration are
-- counted when the store is next opened. Removing an entry removes its row and every
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
    terms      BLOB NOT NULL         -- (word id, count) pairs by id: varints, ids as deltas
);

-- Words by the id rows refer to them with: a row is a few bytes a word,
-- and matching compares numbers.
CREATE TABLE memory_vocab (
    term    TEXT PRIMARY KEY,
    id      INTEGER NOT NULL,
    entries INTEGER NOT NULL CHECK (entries > 0)
) WITHOUT ROWID;

CREATE UNIQUE INDEX memory_vocab_id ON memory_vocab (id);

CREATE TABLE memory_totals (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL,
    tokens  INTEGER NOT NULL
);
