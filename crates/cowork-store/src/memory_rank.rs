//! Recall's ranking: BM25 exactly as FTS5's `bm25()` computes it, but
//! from the store's own tables (`memory_terms`, `memory_vocab`,
//! `memory_totals`, see migration 0006) instead of the index's lists.
//!
//! FTS5's `bm25()` counts, for every word of the query, how many entries
//! hold it by reading that word's whole list, and the query itself walks
//! the lists of the common words to find the entries it ranks; at 100,000
//! entries a prompt's common words cost about 10 ms. Here the full-text
//! index only finds the candidates (the entries holding one of the rarer
//! words, a short walk), and each candidate's row of words and counts
//! gives its score: one row per candidate, however common the words.
//!
//! The words are those FTS5 indexes: its own tokenizer takes a text apart
//! on a temporary, contentless FTS5 table (in memory, emptied after each
//! use), and its `fts5vocab` table lists the stems. A row refers to its
//! words by their id in `memory_vocab`: (id, count) pairs in id order,
//! each a varint, the id as the difference from the one before — a
//! couple of bytes a word, matched against the query's ids by number.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::memory_query::MAX_TERMS;

/// FTS5's `bm25()` constants.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The tokenizer of `memory_fts` (migration 0003); the temporary table
/// must take text apart exactly as the index does.
const TOKENIZE: &str = "porter unicode61 remove_diacritics 2";

/// Columns of the temporary table: one per word of a query, so each
/// word's stems are told apart.
const COLUMNS: usize = MAX_TERMS;

/// One word of a query, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stemmed {
    pub word: String,
    pub stem: String,
    /// The stem's id in `memory_vocab`.
    pub id: i64,
    /// Entries holding the stem.
    pub entries: usize,
}

/// A scored candidate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored {
    pub rowid: i64,
    pub score: f64,
    pub updated_at: i64,
}

fn ensure_tokenizer(conn: &Connection) -> rusqlite::Result<()> {
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE name = 'memory_tokenizer')",
        )?
        .query_row([], |row| row.get(0))?;
    if exists {
        return Ok(());
    }
    let columns: Vec<String> = (0..COLUMNS).map(|i| format!("c{i}")).collect();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE temp.memory_tokenizer USING fts5({}, content='', \
         tokenize='{TOKENIZE}'); \
         CREATE VIRTUAL TABLE temp.memory_tokenizer_terms \
         USING fts5vocab(temp, memory_tokenizer, instance);",
        columns.join(", ")
    ))
}

/// The stems of each of `texts` (at most [`COLUMNS`]), in order.
fn stems(conn: &Connection, texts: &[&str]) -> rusqlite::Result<Vec<Vec<String>>> {
    ensure_tokenizer(conn)?;
    let texts = &texts[..texts.len().min(COLUMNS)];
    let columns: Vec<String> = (0..texts.len()).map(|i| format!("c{i}")).collect();
    let marks: Vec<String> = (1..=texts.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO temp.memory_tokenizer (rowid, {}) VALUES (1, {})",
        columns.join(", "),
        marks.join(", ")
    );
    conn.prepare_cached(&insert)?
        .execute(rusqlite::params_from_iter(texts.iter()))?;
    let found: rusqlite::Result<Vec<(String, String, i64)>> = conn
        .prepare_cached("SELECT term, col, offset FROM temp.memory_tokenizer_terms")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect();
    // Emptied whatever happened, so no text stays even in memory.
    let emptied = conn
        .prepare_cached(
            "INSERT INTO temp.memory_tokenizer (memory_tokenizer) VALUES ('delete-all')",
        )?
        .execute([]);
    let mut found = found?;
    emptied?;
    found.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    let mut out = vec![Vec::new(); texts.len()];
    for (term, column, _) in found {
        let index = column
            .strip_prefix('c')
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(words) = index.and_then(|i| out.get_mut(i)) {
            words.push(term);
        }
    }
    Ok(out)
}

/// Each query word with its stem and how many entries hold it; `None`
/// when a word is not one stem (a word the index takes for several, which
/// only the full-text query can match as a phrase). Words no entry holds
/// are left out.
pub(crate) fn stem_query(
    conn: &Connection,
    words: &[String],
) -> rusqlite::Result<Option<Vec<Stemmed>>> {
    if words.is_empty() {
        return Ok(Some(Vec::new()));
    }
    if words.len() > COLUMNS {
        return Ok(None);
    }
    let texts: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut stemmed = Vec::new();
    for (word, mut stems) in words.iter().zip(stems(conn, &texts)?) {
        match stems.len() {
            // Nothing to search for in it: the full-text query finds
            // nothing for it either.
            0 => continue,
            1 => {}
            _ => return Ok(None),
        }
        let stem = stems.remove(0);
        let found: Option<(i64, i64)> = conn
            .prepare_cached("SELECT id, entries FROM memory_vocab WHERE term = ?1")?
            .query_row([&stem], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        if let Some((id, entries)) = found
            && entries > 0
        {
            stemmed.push(Stemmed {
                word: word.clone(),
                stem,
                id,
                entries: usize::try_from(entries).unwrap_or(0),
            });
        }
    }
    Ok(Some(stemmed))
}

/// Records a new (or newly edited) entry's words, inside the write, once
/// its row in `memory` is written.
pub(crate) fn index_entry(tx: &Transaction<'_>, rowid: i64, content: &str) -> rusqlite::Result<()> {
    let words = stems(tx, &[content])?
        .into_iter()
        .next()
        .unwrap_or_default();
    let tokens = i64::try_from(words.len()).unwrap_or(i64::MAX);
    let mut counts: Vec<(String, u64)> = Vec::new();
    let mut sorted = words;
    sorted.sort_unstable();
    for word in sorted {
        match counts.last_mut() {
            Some((last, n)) if *last == word => *n += 1,
            _ => counts.push((word, 1)),
        }
    }
    let mut pairs = Vec::with_capacity(counts.len());
    for (term, count) in &counts {
        // A new word takes the next id; ids of words no entry holds any
        // more may come back, since no row refers to them.
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO memory_vocab (term, id, entries)                  VALUES (?1, (SELECT coalesce(max(id), 0) + 1 FROM memory_vocab), 1)                  ON CONFLICT (term) DO UPDATE SET entries = entries + 1 RETURNING id",
            )?
            .query_row([term], |row| row.get(0))?;
        pairs.push((u64::try_from(id).unwrap_or(0), *count));
    }
    tx.prepare_cached(
        "INSERT INTO memory_terms (entry, project, updated_at, tokens, terms) \
         SELECT rowid, project, updated_at, ?2, ?3 FROM memory WHERE rowid = ?1",
    )?
    .execute(params![rowid, tokens, encode_terms(pairs)])?;
    tx.prepare_cached(
        "INSERT INTO memory_totals (id, entries, tokens) VALUES (1, 1, ?1) \
         ON CONFLICT (id) DO UPDATE SET entries = entries + 1, tokens = tokens + ?1",
    )?
    .execute([tokens])?;
    Ok(())
}

/// Counts the words of entries made before the store kept counts: the
/// step of migration 0006, in its transaction.
pub(crate) fn count_earlier_entries(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT rowid, content FROM memory ORDER BY rowid")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (rowid, content) in rows {
        index_entry(tx, rowid, &content)?;
    }
    Ok(())
}

/// Forgets an entry's words, inside the write that removes or edits it:
/// a word no other entry holds goes from the vocabulary too.
pub(crate) fn unindex_entry(tx: &Transaction<'_>, rowid: i64) -> rusqlite::Result<()> {
    let row: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT tokens, terms FROM memory_terms WHERE entry = ?1")?
        .query_row([rowid], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((tokens, terms)) = row else {
        return Ok(());
    };
    for (id, _) in decode_terms(&terms) {
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        tx.prepare_cached("DELETE FROM memory_vocab WHERE id = ?1 AND entries <= 1")?
            .execute([id])?;
        tx.prepare_cached("UPDATE memory_vocab SET entries = entries - 1 WHERE id = ?1")?
            .execute([id])?;
    }
    tx.prepare_cached("DELETE FROM memory_terms WHERE entry = ?1")?
        .execute([rowid])?;
    tx.prepare_cached(
        "UPDATE memory_totals SET entries = entries - 1, tokens = tokens - ?1 WHERE id = 1",
    )?
    .execute([tokens])?;
    Ok(())
}

/// A row's `(id, count)` pairs, in id order, as stored.
fn encode_terms(mut pairs: Vec<(u64, u64)>) -> Vec<u8> {
    pairs.sort_unstable();
    let mut out = Vec::with_capacity(pairs.len() * 3);
    let mut last = 0;
    for (id, count) in pairs {
        push_varint(&mut out, id - last);
        push_varint(&mut out, count);
        last = id;
    }
    out
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // Seven bits at a time, the high bit saying more follow.
        out.push(u8::try_from(value & 0x7f).unwrap_or(0) | 0x80);
        value >>= 7;
    }
    out.push(u8::try_from(value).unwrap_or(0));
}

/// The `(id, count)` pairs of a stored row, in id order. A truncated row
/// ends early rather than failing: ranking is a best effort over data the
/// store wrote itself.
fn decode_terms(bytes: &[u8]) -> impl Iterator<Item = (u64, u64)> + '_ {
    let mut at = 0;
    let mut id = 0u64;
    std::iter::from_fn(move || {
        let delta = varint(bytes, &mut at)?;
        let count = varint(bytes, &mut at)?;
        id = id.wrapping_add(delta);
        Some((id, count))
    })
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
    }
}

/// Scores every entry `expression` (the rarer words) matches, in the
/// asker's scope, by all of `ranked` (kept words first, then the left-out
/// ones: the order FTS5 sums them in), best first; ties go to the most
/// recently changed entry, as the full-text query orders them.
pub(crate) fn rank(
    conn: &Connection,
    expression: &str,
    ranked: &[Stemmed],
    project: Option<&str>,
) -> rusqlite::Result<Vec<Scored>> {
    let (rows, tokens): (i64, i64) = conn
        .prepare_cached("SELECT entries, tokens FROM memory_totals WHERE id = 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    if rows <= 0 {
        return Ok(Vec::new());
    }
    let avgdl = tokens as f64 / rows as f64;
    // Each word's slot in a candidate's counts: words of one stem share it.
    let mut ids: Vec<u64> = Vec::new();
    let mut weights = Vec::with_capacity(ranked.len());
    for word in ranked {
        let id = u64::try_from(word.id).unwrap_or(u64::MAX);
        let slot = match ids.iter().position(|s| *s == id) {
            Some(slot) => slot,
            None => {
                ids.push(id);
                ids.len() - 1
            }
        };
        let hits = i64::try_from(word.entries).unwrap_or(i64::MAX);
        let idf = (((rows - hits) as f64 + 0.5) / (hits as f64 + 0.5)).ln();
        weights.push((slot, if idf <= 0.0 { 1e-6 } else { idf }));
    }
    // The query's ids in order, with their slots: a row's pairs are in id
    // order too, so one pass over both finds the counts.
    let mut wanted: Vec<(u64, usize)> = ids.iter().copied().zip(0..).collect();
    wanted.sort_unstable();
    let mut stmt = conn.prepare_cached(
        "SELECT t.entry, t.tokens, t.terms, t.updated_at FROM memory_fts f \
         JOIN memory_terms t ON t.entry = f.rowid \
         WHERE memory_fts MATCH ?1 AND (t.project IS NULL OR t.project = ?2)",
    )?;
    let mut found = stmt.query(params![expression, project])?;
    let mut scored = Vec::new();
    let mut freq = vec![0.0f64; ids.len()];
    while let Some(row) = found.next()? {
        let length: i64 = row.get(1)?;
        freq.iter_mut().for_each(|f| *f = 0.0);
        let mut next = wanted.iter().peekable();
        for (id, count) in decode_terms(row.get_ref(2)?.as_blob()?) {
            while next.next_if(|(want, _)| *want < id).is_some() {}
            match next.peek() {
                Some((want, slot)) if *want == id => {
                    freq[*slot] = count as f64;
                    next.next();
                }
                Some(_) => {}
                None => break,
            }
        }
        let d = length as f64;
        let mut score = 0.0;
        for (slot, idf) in &weights {
            let f = freq[*slot];
            score += idf * ((f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * d / avgdl)));
        }
        scored.push(Scored {
            rowid: row.get(0)?,
            score,
            updated_at: row.get(3)?,
        });
    }
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.updated_at.cmp(&a.updated_at))
            .then(b.rowid.cmp(&a.rowid))
    });
    Ok(scored)
}

#[cfg(test)]
#[path = "memory_rank_tests.rs"]
mod tests;
