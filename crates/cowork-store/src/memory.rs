//! Memory: notes that outlive a task, global or for one project, found
//! again by full-text search (FTS5, BM25 ranking).
//!
//! Removing an entry (forgetting it, or editing away its old text) leaves
//! no copy in the database file: the connection runs with
//! `PRAGMA secure_delete` (freed space is zeroed), the index has FTS5's
//! `secure-delete` on, the entry's row of word counts goes with it (and
//! every word no other entry holds, see [`memory_rank`](crate::memory_rank)),
//! the copies cowork itself made in task logs (the
//! recall event, the `Memory` tool's calls, results and approvals) are
//! scrubbed ([`scrub`](crate::memory_scrub)), and the WAL, which still
//! holds the old pages, is checkpointed and truncated.

use cowork_protocol::{MemoryScope, TaskId};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};

use crate::error::SqlContext;
use crate::memory_query::{Stopwords, or_expression, query_terms};
use crate::memory_rank::{Stemmed, index_entry, rank, stem_query, unindex_entry};
use crate::memory_scrub::{Scrubbed, scrub};
use crate::read::MIN_PREFIX;
use crate::store::{Durability, now_ms};
use crate::{Store, StoreError};

/// The longest entry the store keeps, in characters: a note, one fact,
/// not a document (about 500 tokens).
pub const MEMORY_MAX_CHARS: usize = 2000;

/// Recall ranks at most about this many matching entries (each word's
/// matches counted once per word); past it the commonest words of the
/// query are left out. Measured with `cargo run --release -p xtask --
/// bench memory`: ranking costs about a microsecond and a half per
/// candidate (one row of word counts read and scored), whatever the
/// words left out.
pub const MAX_RANKED: usize = 2000;

/// At most this many candidates are reported for an ambiguous prefix.
const MAX_CANDIDATES: usize = 10;

/// One memory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryEntry {
    /// Short random hex; any unique prefix of at least [`MIN_PREFIX`]
    /// characters names it too.
    pub id: String,
    pub scope: MemoryScope,
    pub content: String,
    /// The task that made it; `None` when the person did.
    pub task: Option<TaskId>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last edit.
    pub updated_at: i64,
}

/// Which entries a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryFilter {
    /// Every entry, of every project and global.
    All,
    /// Only global entries.
    Global,
    /// Only this project's entries.
    Project(String),
    /// What a task of this project sees: its entries and the global ones.
    ProjectAndGlobal(String),
}

impl MemoryFilter {
    /// Whether an entry of `scope` is among those the filter shows.
    pub fn admits(&self, scope: &MemoryScope) -> bool {
        match (self, scope) {
            (MemoryFilter::All, _) => true,
            (MemoryFilter::Global | MemoryFilter::ProjectAndGlobal(_), MemoryScope::Global) => true,
            (MemoryFilter::Global, MemoryScope::Project(_)) => false,
            (MemoryFilter::Project(_), MemoryScope::Global) => false,
            (
                MemoryFilter::Project(wanted) | MemoryFilter::ProjectAndGlobal(wanted),
                MemoryScope::Project(name),
            ) => wanted == name,
        }
    }
}

/// What recalling looks for, and how much of it to return.
#[derive(Debug, Clone, Copy)]
pub struct RecallQuery<'a> {
    /// Any text, e.g. the person's prompt: its words are searched for,
    /// never parsed as FTS syntax.
    pub text: &'a str,
    /// The asking task's project: its entries and the global ones are
    /// searched. `None`: the global ones only.
    pub project: Option<&'a str>,
    /// At most this many entries.
    pub limit: usize,
    /// At most this many tokens of content, counted at about 4 characters
    /// per token. An entry that does not fit in what is left is skipped,
    /// so a smaller, less relevant one may still come.
    pub token_budget: usize,
}

/// The words a recall searches for (see [`Store::recall_plan`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecallPlan {
    /// An entry must hold one of these to be ranked.
    pub kept: Vec<String>,
    /// Too common to decide what is ranked; they still count in the
    /// ranking of the entries that are.
    pub left_out: Vec<String>,
}

impl RecallPlan {
    /// The FTS5 expression: every word, with the entries that hold only
    /// left-out words taken away. BM25 scores the entries it matches
    /// exactly as the plain OR of every word would (a `NOT` branch's
    /// words add nothing to a row it keeps), but is computed only for
    /// them. `None`: nothing to search for.
    pub fn expression(&self) -> Option<String> {
        let kept = or_expression(&self.kept)?;
        let Some(left_out) = or_expression(&self.left_out) else {
            return Some(kept);
        };
        Some(format!(
            "({kept} OR {left_out}) NOT (({left_out}) NOT ({kept}))"
        ))
    }
}

/// What removing an entry's text did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The entry as it was before.
    pub entry: MemoryEntry,
    /// Task log events whose copies of the text were replaced.
    pub scrubbed_events: usize,
    /// Whether the WAL was checkpointed and emptied. `false`: another
    /// process was reading the database, and the old pages stay in the
    /// WAL file until a later checkpoint overwrites them.
    pub wal_cleared: bool,
}

/// The tokens an entry counts for, at about 4 characters per token.
pub fn memory_tokens(content: &str) -> usize {
    content.chars().count().div_ceil(4)
}

const COLUMNS: &str = "id, scope, project, content, task_id, created_at, updated_at";

impl Store {
    /// Stores a new entry and returns it. `task`: the task that made it,
    /// `None` when the person did. Its text is trimmed, and must be
    /// non-empty and at most [`MEMORY_MAX_CHARS`] characters.
    pub fn remember(
        &self,
        scope: &MemoryScope,
        content: &str,
        task: Option<&TaskId>,
    ) -> Result<MemoryEntry, StoreError> {
        let content = checked_content(content)?;
        let project = checked_project(scope)?;
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            let now = now_ms();
            // Random, so an id says nothing about when or by whom it was
            // made; a collision of its 12 hex digits just draws again.
            let mut draws = 0;
            loop {
                draws += 1;
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO memory (id, scope, project, content, task_id, created_at, \
                         updated_at) VALUES (lower(hex(randomblob(6))), ?1, ?2, ?3, ?4, ?5, ?5) \
                         RETURNING id, rowid",
                    )
                    .and_then(|mut stmt| {
                        stmt.query_row(
                            params![
                                scope_name(scope),
                                project,
                                content,
                                task.map(TaskId::as_str),
                                now
                            ],
                            |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
                        )
                    });
                match inserted {
                    Ok((id, rowid)) => {
                        index_entry(tx, rowid, content).at(path)?;
                        return Ok(MemoryEntry {
                            id,
                            scope: scope.clone(),
                            content: content.to_owned(),
                            task: task.cloned(),
                            created_at: now,
                            updated_at: now,
                        });
                    }
                    Err(err)
                        if draws < 8
                            && err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {}
                    Err(err) => return Err(crate::error::sql_error(err, path)),
                }
            }
        })
    }

    /// An entry by full id or unique prefix (at least [`MIN_PREFIX`]
    /// characters, any case).
    pub fn memory(&self, id_or_prefix: &str) -> Result<MemoryEntry, StoreError> {
        let conn = self.conn();
        lookup(&conn, id_or_prefix, &MemoryFilter::All).at(self.path())?
    }

    /// Entries, most recently changed first.
    pub fn list_memory(&self, filter: &MemoryFilter) -> Result<Vec<MemoryEntry>, StoreError> {
        let (clause, project) = match filter {
            MemoryFilter::All => ("1", None),
            MemoryFilter::Global => ("project IS NULL", None),
            MemoryFilter::Project(p) => ("project = ?1", Some(p.as_str())),
            MemoryFilter::ProjectAndGlobal(p) => {
                ("(project IS NULL OR project = ?1)", Some(p.as_str()))
            }
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM memory WHERE {clause} ORDER BY updated_at DESC, rowid DESC"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql).at(self.path())?;
        let rows = match project {
            Some(p) => stmt.query_map([p], entry),
            None => stmt.query_map([], entry),
        };
        rows.and_then(Iterator::collect).at(self.path())
    }

    /// The entries most relevant to `query.text`, most relevant first
    /// (BM25), within its limit and token budget. Text without a word
    /// worth searching for (only punctuation or stopwords) finds nothing.
    ///
    /// Ranking costs time for every entry that matches, and a prompt's
    /// commonest words can match a good part of a large memory. So when
    /// the words match more than [`MAX_RANKED`] entries in all, only
    /// entries with one of the rarer words are ranked — still by all the
    /// words (see [`Store::recall_plan`]). The scores are FTS5's BM25,
    /// computed from the store's own word counts
    /// ([`memory_rank`](crate::memory_rank)) rather than by walking the
    /// common words' lists in the index.
    pub fn recall(&self, query: &RecallQuery<'_>) -> Result<Vec<MemoryEntry>, StoreError> {
        self.recall_by(query, Ranking::Counts)
    }

    pub(crate) fn recall_by(
        &self,
        query: &RecallQuery<'_>,
        ranking: Ranking,
    ) -> Result<Vec<MemoryEntry>, StoreError> {
        if query.limit == 0 || query.token_budget == 0 {
            return Ok(Vec::new());
        }
        // Candidates past the limit, so entries too big for the budget can
        // be skipped without running short.
        let candidates = query.limit.saturating_mul(4).max(16);
        let conn = self.conn();
        let words = query_terms(query.text, Stopwords::Drop);
        let stemmed = match ranking {
            Ranking::Counts => stem_query(&conn, &words).at(self.path())?,
            Ranking::Index => None,
        };
        let found: Vec<MemoryEntry> = match stemmed {
            Some(stemmed) => {
                let (kept, left_out) =
                    split_plan(stemmed.into_iter().map(|s| (s.entries, s)).collect());
                let kept_words: Vec<&str> = kept.iter().map(|s| s.word.as_str()).collect();
                let Some(expression) = or_expression(&kept_words) else {
                    return Ok(Vec::new());
                };
                let ranked: Vec<Stemmed> = kept.into_iter().chain(left_out).collect();
                let scored = rank(&conn, &expression, &ranked, query.project).at(self.path())?;
                let mut found = Vec::with_capacity(candidates);
                for scored in scored.into_iter().take(candidates) {
                    let sql = format!("SELECT {COLUMNS} FROM memory WHERE rowid = ?1");
                    let one = conn
                        .prepare_cached(&sql)
                        .and_then(|mut stmt| stmt.query_row([scored.rowid], entry))
                        .at(self.path())?;
                    found.push(one);
                }
                found
            }
            None => {
                let (kept, left_out) = split_plan(count_words(&conn, &words).at(self.path())?);
                let plan = RecallPlan { kept, left_out };
                let Some(expression) = plan.expression() else {
                    return Ok(Vec::new());
                };
                let candidates = i64::try_from(candidates).unwrap_or(i64::MAX);
                conn.prepare_cached(
                    "SELECT m.id, m.scope, m.project, m.content, m.task_id, m.created_at, \
                     m.updated_at FROM memory_fts f JOIN memory m ON m.rowid = f.rowid \
                     WHERE memory_fts MATCH ?1 AND (m.project IS NULL OR m.project = ?2) \
                     ORDER BY f.rank, m.updated_at DESC, m.rowid DESC LIMIT ?3",
                )
                .and_then(|mut stmt| {
                    stmt.query_map(params![expression, query.project, candidates], entry)?
                        .collect()
                })
                .at(self.path())?
            }
        };
        drop(conn);
        let mut left = query.token_budget;
        let mut recalled = Vec::new();
        for entry in found {
            let cost = memory_tokens(&entry.content);
            if cost <= left {
                left -= cost;
                recalled.push(entry);
                if recalled.len() == query.limit {
                    break;
                }
            }
        }
        Ok(recalled)
    }

    /// How [`Store::recall`] searches for `text`: its words without
    /// stopwords, each counted (counting matches is cheap, ranking them is
    /// not); the rarest kept while they match at most [`MAX_RANKED`]
    /// entries in all, the rest left out of what is matched but not of
    /// how it is ranked. The rarest word is always kept.
    pub fn recall_plan(&self, text: &str) -> Result<RecallPlan, StoreError> {
        let conn = self.conn();
        let words = query_terms(text, Stopwords::Drop);
        let counted = match stem_query(&conn, &words).at(self.path())? {
            Some(stemmed) => stemmed.into_iter().map(|s| (s.entries, s.word)).collect(),
            None => count_words(&conn, &words).at(self.path())?,
        };
        let (kept, left_out) = split_plan(counted);
        Ok(RecallPlan { kept, left_out })
    }

    /// Replaces an entry's text. The old text leaves no copy behind (see
    /// the module's doc); returns the entry as it was. The same text again
    /// changes nothing.
    pub fn edit_memory(&self, id_or_prefix: &str, content: &str) -> Result<Removal, StoreError> {
        let content = checked_content(content)?;
        let path = self.path();
        let (before, scrubbed) = self.write(Durability::Normal, |tx| {
            let before = lookup(tx, id_or_prefix, &MemoryFilter::All).at(path)??;
            if before.content == content {
                return Ok((before, Scrubbed::default()));
            }
            let rowid = rowid_of(tx, &before.id).at(path)?;
            unindex_entry(tx, rowid).at(path)?;
            tx.prepare_cached("UPDATE memory SET content = ?2, updated_at = ?3 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute(params![before.id, content, now_ms()]))
                .at(path)?;
            index_entry(tx, rowid, content).at(path)?;
            let scrubbed = scrub(tx, path, &before, "[this memory entry was since edited]")?;
            Ok((before, scrubbed))
        })?;
        let wal_cleared = before.content == content || self.clear_wal()?;
        Ok(Removal {
            entry: before,
            scrubbed_events: scrubbed.events,
            wal_cleared,
        })
    }

    /// Deletes an entry for good: no copy is left in the database file
    /// (see the module's doc). Only an entry `within` admits is found: a
    /// task's `forget` cannot reach another project's memory.
    pub fn forget(&self, id_or_prefix: &str, within: &MemoryFilter) -> Result<Removal, StoreError> {
        let path = self.path();
        let (before, scrubbed) = self.write(Durability::Normal, |tx| {
            let before = lookup(tx, id_or_prefix, within).at(path)??;
            unindex_entry(tx, rowid_of(tx, &before.id).at(path)?).at(path)?;
            tx.prepare_cached("DELETE FROM memory WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute([&before.id]))
                .at(path)?;
            let scrubbed = scrub(tx, path, &before, "[a forgotten memory entry]")?;
            Ok((before, scrubbed))
        })?;
        let wal_cleared = self.clear_wal()?;
        Ok(Removal {
            entry: before,
            scrubbed_events: scrubbed.events,
            wal_cleared,
        })
    }

    /// Copies every page of the WAL into the database file and truncates
    /// the WAL to nothing, so the pages a removal replaced are gone from
    /// it. `false` when another connection's read kept it from finishing.
    fn clear_wal(&self) -> Result<bool, StoreError> {
        let conn = self.conn();
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .at(self.path())?;
        Ok(busy == 0)
    }
}

/// How recall computes BM25.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranking {
    /// From the store's word counts; FTS5's `bm25()` for a query whose
    /// words the counts cannot answer (a word the index takes for several).
    Counts,
    /// FTS5's `bm25()` always: the reference the counts must agree with.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "only the tests rank this way on purpose")
    )]
    Index,
}

/// Each word with how many entries the index finds for it (counting is
/// a walk of the word's list in the index); words it finds in none are
/// left out.
fn count_words(conn: &Connection, words: &[String]) -> rusqlite::Result<Vec<(usize, String)>> {
    let mut counted = Vec::new();
    for word in words {
        let Some(one) = or_expression(std::slice::from_ref(word)) else {
            continue;
        };
        let matches: i64 = conn
            .prepare_cached("SELECT count(*) FROM memory_fts WHERE memory_fts MATCH ?1")?
            .query_row([one], |row| row.get(0))?;
        let matches = usize::try_from(matches).unwrap_or(usize::MAX);
        if matches > 0 {
            counted.push((matches, word.clone()));
        }
    }
    Ok(counted)
}

/// The rarest words kept while they match at most [`MAX_RANKED`] entries
/// in all (the rarest always), and the rest.
fn split_plan<T>(mut counted: Vec<(usize, T)>) -> (Vec<T>, Vec<T>) {
    // Stable: words as common as each other keep the prompt's order.
    counted.sort_by_key(|(matches, _)| *matches);
    let (mut kept, mut left_out) = (Vec::new(), Vec::new());
    let mut total = 0usize;
    for (matches, word) in counted {
        total = total.saturating_add(matches);
        if kept.is_empty() || total <= MAX_RANKED {
            kept.push(word);
        } else {
            left_out.push(word);
        }
    }
    (kept, left_out)
}

fn rowid_of(conn: &Connection, id: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT rowid FROM memory WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
}

fn checked_content(content: &str) -> Result<&str, StoreError> {
    let content = content.trim();
    if content.is_empty() {
        return Err(StoreError::EmptyMemory);
    }
    let chars = content.chars().count();
    if chars > MEMORY_MAX_CHARS {
        return Err(StoreError::MemoryTooLong {
            chars,
            max: MEMORY_MAX_CHARS,
        });
    }
    Ok(content)
}

fn checked_project(scope: &MemoryScope) -> Result<Option<&str>, StoreError> {
    match scope {
        MemoryScope::Global => Ok(None),
        MemoryScope::Project(name) if name.trim().is_empty() => Err(StoreError::EmptyProjectName),
        MemoryScope::Project(name) => Ok(Some(name)),
    }
}

fn scope_name(scope: &MemoryScope) -> &'static str {
    match scope {
        MemoryScope::Global => "global",
        MemoryScope::Project(_) => "project",
    }
}

fn entry(row: &Row<'_>) -> rusqlite::Result<MemoryEntry> {
    let project: Option<String> = row.get(2)?;
    Ok(MemoryEntry {
        id: row.get(0)?,
        // The table's CHECK ties the scope to the project column.
        scope: project.map_or(MemoryScope::Global, MemoryScope::Project),
        content: row.get(3)?,
        task: row.get::<_, Option<String>>(4)?.map(TaskId::from_raw),
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

/// The entry `wanted` names among those `within` admits: its full id,
/// or a unique prefix of at least [`MIN_PREFIX`] characters. The outer
/// error is SQLite's, the inner one the lookup's.
fn lookup(
    conn: &Connection,
    wanted: &str,
    within: &MemoryFilter,
) -> rusqlite::Result<Result<MemoryEntry, StoreError>> {
    let wanted = wanted.trim();
    // Ids are lower-case hex; one copied in capitals still names them.
    let lower = wanted.to_lowercase();
    let sql = format!("SELECT {COLUMNS} FROM memory WHERE id = ?1");
    let exact = conn
        .prepare_cached(&sql)?
        .query_row([&lower], entry)
        .optional()?;
    let mut found: Vec<MemoryEntry> = match exact {
        Some(exact) => vec![exact],
        None if wanted.chars().count() < MIN_PREFIX => Vec::new(),
        None => {
            // A range scan of the unique index: no LIKE, whose wildcards
            // would need escaping.
            let sql = format!(
                "SELECT {COLUMNS} FROM memory WHERE id >= ?1 AND id < ?1 || char(1114111) \
                 ORDER BY id"
            );
            conn.prepare_cached(&sql)?
                .query_map([&lower], entry)?
                .collect::<Result<_, _>>()?
        }
    };
    // Entries the asker may not see are not even named as candidates.
    found.retain(|e| within.admits(&e.scope));
    Ok(match found.len() {
        0 => Err(StoreError::MemoryNotFound {
            id: wanted.to_owned(),
        }),
        1 => Ok(found.remove(0)),
        _ => Err(StoreError::MemoryAmbiguous {
            prefix: wanted.to_owned(),
            candidates: found
                .into_iter()
                .take(MAX_CANDIDATES)
                .map(|e| e.id)
                .collect(),
        }),
    })
}
