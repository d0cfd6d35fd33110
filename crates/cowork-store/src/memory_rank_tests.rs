use cowork_protocol::MemoryScope;
use rusqlite::Connection;

use super::*;
use crate::memory::Ranking;
use crate::{MemoryFilter, RecallQuery, Stopwords, Store, query_terms};

/// Words of varied commonness and shape: stems that share a root
/// ("invoice", "invoices", "invoicing"), capitals, diacritics, digits.
const WORDS: &[&str] = &[
    "office",
    "budget",
    "invoice",
    "invoices",
    "invoicing",
    "Berlin",
    "team",
    "meeting",
    "report",
    "reports",
    "draft",
    "quarterly",
    "summary",
    "Jana",
    "Tom",
    "Müller",
    "café",
    "spreadsheet",
    "contract",
    "contracts",
    "deadline",
    "Friday",
    "Monday",
    "vendor",
    "quote",
    "payroll",
    "travel",
    "expense",
    "expenses",
    "signing",
    "signed",
    "folder",
    "archive",
    "printer",
    "kitchen",
    "party",
    "launch",
    "Lisbon",
    "Osaka",
    "2026",
    "q3",
    "PDF",
    "slides",
    "review",
    "reviewing",
    "onboarding",
    "hire",
    "hires",
    "hiring",
    "audit",
    "risk",
    "register",
    "grant",
    "tax",
    "filing",
    "filings",
    "newsletter",
    "press",
    "release",
    "notes",
    "minutes",
    "board",
    "client",
    "Globex",
    "Acme",
    "Initech",
    "format",
    "letterhead",
    "spelling",
    "British",
    "naïve",
    "résumé",
    "owner",
    "owners",
    "owned",
    "keys",
    "locker",
    "floor",
    "parking",
    "catering",
    "insurance",
    "warranty",
    "shipping",
    "recycling",
    "licensing",
];

/// A deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A word, the first ones far more often than the last (about Zipf).
    fn word(&mut self) -> &'static str {
        let r = self.below(WORDS.len()) + 1;
        WORDS[self.below(r)]
    }

    /// Notes of 3 to 60 words, some repeating a word, with punctuation
    /// and stopwords between them.
    fn text(&mut self, max: usize) -> String {
        let n = 3 + self.below(max);
        let mut words = Vec::with_capacity(n);
        for _ in 0..n {
            words.push(match self.below(8) {
                0 => "the".to_owned(),
                1 => format!("{},", self.word()),
                _ => self.word().to_owned(),
            });
        }
        words.join(" ")
    }
}

fn ids(found: Vec<crate::MemoryEntry>) -> Vec<String> {
    found.into_iter().map(|e| e.id).collect()
}

/// Fills `store` with `n` notes, some of a project, then edits and
/// forgets some, so the counts have been taken down as well as up.
fn fill(store: &Store, rng: &mut Rng, n: usize) {
    let mut made = Vec::new();
    for i in 0..n {
        let scope = if i % 5 == 0 {
            MemoryScope::Project("acme".into())
        } else {
            MemoryScope::Global
        };
        let max = if i % 10 == 0 { 60 } else { 15 };
        made.push(store.remember(&scope, &rng.text(max), None).unwrap());
    }
    for entry in made.iter().step_by(17) {
        store.forget(&entry.id, &MemoryFilter::All).unwrap();
    }
    for (i, entry) in made.iter().enumerate().skip(3).step_by(23) {
        if i % 17 != 0 {
            store.edit_memory(&entry.id, &rng.text(20)).unwrap();
        }
    }
}

/// Regression guard for the faster recall: it must return exactly what
/// FTS5's own ranking (`ORDER BY rank` over the plan's expression, the
/// ranking recall had before) returns, for prompts that leave common
/// words out of what is matched and prompts that do not, in both scopes.
#[test]
fn the_word_count_ranking_returns_what_fts5_ranking_returns_over_a_varied_corpus() {
    let store = Store::open_in_memory().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    fill(&store, &mut rng, 4000);
    let mut pruned = 0;
    for i in 0..150 {
        let prompt = rng.text(12);
        let plan = store.recall_plan(&prompt).unwrap();
        if !plan.left_out.is_empty() {
            pruned += 1;
        }
        {
            let conn = store.conn();
            let words = query_terms(&prompt, Stopwords::Drop);
            assert!(
                stem_query(&conn, &words).unwrap().is_some(),
                "{prompt:?} must take the fast path, or the test compares nothing"
            );
        }
        for project in [None, Some("acme")] {
            let query = RecallQuery {
                text: &prompt,
                project,
                limit: 4 + i % 8,
                token_budget: 800,
            };
            let ours = ids(store.recall_by(&query, Ranking::Counts).unwrap());
            let fts5 = ids(store.recall_by(&query, Ranking::Index).unwrap());
            assert!(!fts5.is_empty() || ours.is_empty());
            assert_eq!(ours, fts5, "{prompt:?} in {project:?}");
        }
    }
    assert!(pruned > 20, "too few prompts left words out: {pruned}");
}

fn vocab_of_index(conn: &Connection) -> Vec<(String, i64)> {
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.check_rows USING fts5vocab(main, memory_fts, row)",
    )
    .unwrap();
    conn.prepare("SELECT term, doc FROM temp.check_rows ORDER BY term")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn assert_counts_agree_with_the_index(conn: &Connection) {
    let ours: Vec<(String, i64)> = conn
        .prepare("SELECT term, entries FROM memory_vocab ORDER BY term")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ours, vocab_of_index(conn));
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.check_instances \
         USING fts5vocab(main, memory_fts, instance)",
    )
    .unwrap();
    let (entries, tokens): (i64, i64) = conn
        .query_row("SELECT entries, tokens FROM memory_totals", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM memory", [], |row| row.get(0))
        .unwrap();
    let instances: i64 = conn
        .query_row("SELECT count(*) FROM temp.check_instances", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!((entries, tokens), (rows, instances));
    let terms: i64 = conn
        .query_row("SELECT count(*) FROM memory_terms", [], |row| row.get(0))
        .unwrap();
    assert_eq!(terms, rows);
}

#[test]
fn the_word_counts_agree_with_the_index_after_remembering_editing_and_forgetting() {
    let store = Store::open_in_memory().unwrap();
    let mut rng = Rng(7);
    fill(&store, &mut rng, 600);
    // Punctuation only: a row of no words, counted in the totals.
    store.remember(&MemoryScope::Global, "?!", None).unwrap();
    assert_counts_agree_with_the_index(&store.conn());
}

/// A store made before migration 0006 has entries but no word counts:
/// the migration reads them back from the index.
#[test]
fn the_migration_counts_the_words_of_entries_made_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cowork.db");
    let store = Store::open(&path).unwrap();
    let mut rng = Rng(11);
    fill(&store, &mut rng, 300);
    let prompt = "the quarterly invoices for Berlin, and the office budget";
    let before = ids(store
        .recall(&RecallQuery {
            text: prompt,
            project: None,
            limit: 8,
            token_budget: 800,
        })
        .unwrap());
    drop(store);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE memory_terms; DROP TABLE memory_vocab; DROP TABLE memory_totals; \
         PRAGMA user_version = 5;",
    )
    .unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_counts_agree_with_the_index(&store.conn());
    let after = ids(store
        .recall(&RecallQuery {
            text: prompt,
            project: None,
            limit: 8,
            token_budget: 800,
        })
        .unwrap());
    assert!(!after.is_empty());
    assert_eq!(after, before);
}

/// A word the index takes apart (here around U+093F, a Devanagari vowel
/// sign: alphabetic to the query's word splitter, a separator to the
/// tokenizer) is a phrase to FTS5: the word counts cannot match it, so
/// recall must rank that query with FTS5 instead of scoring its parts as
/// separate words.
#[test]
fn a_word_the_index_splits_is_ranked_by_fts5_as_a_phrase() {
    let store = Store::open_in_memory().unwrap();
    let phrase = "the ab\u{093F}cd note";
    store
        .remember(&MemoryScope::Global, "cd and ab, far apart", None)
        .unwrap();
    store.remember(&MemoryScope::Global, phrase, None).unwrap();
    let words = query_terms("ab\u{093F}cd", Stopwords::Drop);
    assert_eq!(words.len(), 1);
    assert_eq!(stem_query(&store.conn(), &words).unwrap(), None);
    let found: Vec<String> = store
        .recall(&RecallQuery {
            text: "ab\u{093F}cd",
            project: None,
            limit: 5,
            token_budget: 800,
        })
        .unwrap()
        .into_iter()
        .map(|e| e.content)
        .collect();
    assert_eq!(found, [phrase]);
}
