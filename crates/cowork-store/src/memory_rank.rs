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
//! use), and its `fts5vocab` table lists the stems.

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
        let entries: Option<i64> = conn
            .prepare_cached("SELECT entries FROM memory_vocab WHERE term = ?1")?
            .query_row([&stem], |row| row.get(0))
            .optional()?;
        let entries = usize::try_from(entries.unwrap_or(0)).unwrap_or(0);
        if entries > 0 {
            stemmed.push(Stemmed {
                word: word.clone(),
                stem,
                entries,
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
    let mut counts: Vec<(String, i64)> = Vec::new();
    let mut sorted = words;
    sorted.sort_unstable();
    for word in sorted {
        match counts.last_mut() {
            Some((last, n)) if *last == word => *n += 1,
            _ => counts.push((word, 1)),
        }
    }
    let terms: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    tx.prepare_cached(
        "INSERT INTO memory_terms (entry, project, updated_at, tokens, terms) \
         SELECT rowid, project, updated_at, ?2, ?3 FROM memory WHERE rowid = ?1",
    )?
    .execute(params![rowid, tokens, terms.join(" ")])?;
    for (term, _) in &counts {
        tx.prepare_cached(
            "INSERT INTO memory_vocab (term, entries) VALUES (?1, 1) \
             ON CONFLICT (term) DO UPDATE SET entries = entries + 1",
        )?
        .execute([term])?;
    }
    tx.prepare_cached(
        "INSERT INTO memory_totals (id, entries, tokens) VALUES (1, 1, ?1) \
         ON CONFLICT (id) DO UPDATE SET entries = entries + 1, tokens = tokens + ?1",
    )?
    .execute([tokens])?;
    Ok(())
}

/// Forgets an entry's words, inside the write that removes or edits it:
/// a word no other entry holds goes from the vocabulary too.
pub(crate) fn unindex_entry(tx: &Transaction<'_>, rowid: i64) -> rusqlite::Result<()> {
    let row: Option<(i64, String)> = tx
        .prepare_cached("SELECT tokens, terms FROM memory_terms WHERE entry = ?1")?
        .query_row([rowid], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((tokens, terms)) = row else {
        return Ok(());
    };
    for (term, _) in pairs(&terms) {
        tx.prepare_cached("DELETE FROM memory_vocab WHERE term = ?1 AND entries <= 1")?
            .execute([term])?;
        tx.prepare_cached("UPDATE memory_vocab SET entries = entries - 1 WHERE term = ?1")?
            .execute([term])?;
    }
    tx.prepare_cached("DELETE FROM memory_terms WHERE entry = ?1")?
        .execute([rowid])?;
    tx.prepare_cached(
        "UPDATE memory_totals SET entries = entries - 1, tokens = tokens - ?1 WHERE id = 1",
    )?
    .execute([tokens])?;
    Ok(())
}

/// Finds a query's stems in a row's `"word count word count"` list.
/// Called once per candidate, so it skips a row's other words on their
/// first byte and length before comparing, and parses only the counts of
/// the words it finds.
struct Matcher<'a> {
    stems: &'a [&'a str],
    first: [bool; 256],
}

impl<'a> Matcher<'a> {
    fn new(stems: &'a [&'a str]) -> Self {
        let mut first = [false; 256];
        for stem in stems {
            if let Some(b) = stem.as_bytes().first() {
                first[usize::from(*b)] = true;
            }
        }
        Self { stems, first }
    }

    /// Puts each stem's count in `terms` into its slot of `freq`. A
    /// plain walk over the bytes: splitting on spaces costs more than the
    /// rest of ranking together.
    fn count(&self, terms: &str, freq: &mut [f64]) {
        let bytes = terms.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let start = at;
            let wanted = self.first[usize::from(bytes[at])];
            while at < bytes.len() && bytes[at] != b' ' {
                at += 1;
            }
            let word = &bytes[start..at];
            at += 1;
            let digits = at;
            let mut count = 0u32;
            while at < bytes.len() && bytes[at] != b' ' {
                count = count
                    .saturating_mul(10)
                    .saturating_add(u32::from(bytes[at].wrapping_sub(b'0')));
                at += 1;
            }
            at += 1;
            if wanted
                && digits < at
                && let Some(slot) = self.stems.iter().position(|s| s.as_bytes() == word)
            {
                freq[slot] = f64::from(count);
            }
        }
    }
}

/// `"word count word count"` as pairs.
fn pairs(terms: &str) -> impl Iterator<Item = (&str, f64)> {
    let mut parts = terms.split(' ');
    std::iter::from_fn(move || {
        let term = parts.next()?;
        let count = parts.next()?;
        Some((term, count.parse::<f64>().unwrap_or(0.0)))
    })
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
    let mut stems: Vec<&str> = Vec::new();
    let mut weights = Vec::with_capacity(ranked.len());
    for word in ranked {
        let slot = match stems.iter().position(|s| *s == word.stem) {
            Some(slot) => slot,
            None => {
                stems.push(&word.stem);
                stems.len() - 1
            }
        };
        let hits = i64::try_from(word.entries).unwrap_or(i64::MAX);
        let idf = (((rows - hits) as f64 + 0.5) / (hits as f64 + 0.5)).ln();
        weights.push((slot, if idf <= 0.0 { 1e-6 } else { idf }));
    }
    let matcher = Matcher::new(&stems);
    let mut stmt = conn.prepare_cached(
        "SELECT t.entry, t.tokens, t.terms, t.updated_at FROM memory_fts f \
         JOIN memory_terms t ON t.entry = f.rowid \
         WHERE memory_fts MATCH ?1 AND (t.project IS NULL OR t.project = ?2)",
    )?;
    let mut found = stmt.query(params![expression, project])?;
    let mut scored = Vec::new();
    let mut freq = vec![0.0f64; stems.len()];
    while let Some(row) = found.next()? {
        let length: i64 = row.get(1)?;
        freq.iter_mut().for_each(|f| *f = 0.0);
        matcher.count(row.get_ref(2)?.as_str()?, &mut freq);
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
