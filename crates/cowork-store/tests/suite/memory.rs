//! Memory: storing, finding by prefix, listing by scope, recall ranking
//! within limits and budgets, and who may forget what.

use cowork_protocol::{MemoryScope, TaskId};
use cowork_store::{MEMORY_MAX_CHARS, MemoryFilter, RecallPlan, RecallQuery, Store, StoreError};

fn project(name: &str) -> MemoryScope {
    MemoryScope::Project(name.to_owned())
}

fn recall(store: &Store, text: &str, project: Option<&str>) -> Vec<String> {
    store
        .recall(&RecallQuery {
            text,
            project,
            limit: 5,
            token_budget: 800,
        })
        .unwrap()
        .into_iter()
        .map(|e| e.content)
        .collect()
}

/// 1,000 notes on office life, each sharing at most one word with the
/// prompt below.
fn irrelevant(n: usize) -> String {
    const SUBJECTS: &[&str] = &[
        "The office printer",
        "Our weekly summary meeting",
        "A quarterly review",
        "The kitchen fridge",
        "Marketing's draft slides",
        "The Lisbon team",
        "Payroll",
        "The staff party",
    ];
    const VERBS: &[&str] = &[
        "moves to",
        "is planned for",
        "needs attention on",
        "was rescheduled to",
        "gets cleaned on",
    ];
    const WHEN: &[&str] = &[
        "Monday morning",
        "the first week of March",
        "every other Thursday",
        "late afternoon",
        "the end of the month",
        "next spring",
    ];
    format!(
        "{} {} {} (note {n}).",
        SUBJECTS[n % SUBJECTS.len()],
        VERBS[(n / SUBJECTS.len()) % VERBS.len()],
        WHEN[(n / 7) % WHEN.len()]
    )
}

#[test]
fn the_relevant_entry_beats_a_thousand_irrelevant_ones_for_a_natural_prompt() {
    let store = Store::open_in_memory().unwrap();
    for n in 0..500 {
        store
            .remember(&MemoryScope::Global, &irrelevant(n), None)
            .unwrap();
    }
    let wanted = "Invoices for the Berlin office go to Jana as PDF summaries by the 5th.";
    store.remember(&MemoryScope::Global, wanted, None).unwrap();
    for n in 500..1000 {
        store
            .remember(&MemoryScope::Global, &irrelevant(n), None)
            .unwrap();
    }
    let prompt = "Can you draft the quarterly invoice summary for our Berlin office? \
                  Use last month's numbers.";
    let found = recall(&store, prompt, None);
    assert_eq!(
        found.first().map(String::as_str),
        Some(wanted),
        "{found:#?}"
    );
}

#[test]
fn any_prompt_text_is_searched_without_fts_syntax_errors() {
    let store = Store::open_in_memory().unwrap();
    store
        .remember(
            &MemoryScope::Global,
            "NEAR the AND gate: use the blue cable",
            None,
        )
        .unwrap();
    for text in [
        r#"NEAR("x" y) AND OR NOT *"#,
        "col:umn ^start -minus +plus",
        "\"unbalanced quote",
        "(((",
        "",
        "🙂 ∑ 東京",
        "what is the",
    ] {
        store
            .recall(&RecallQuery {
                text,
                project: None,
                limit: 5,
                token_budget: 800,
            })
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    assert_eq!(recall(&store, "which CABLE for the gate?", None).len(), 1);
}

#[test]
fn a_task_recalls_its_projects_entries_and_the_global_ones_only() {
    let store = Store::open_in_memory().unwrap();
    store
        .remember(&MemoryScope::Global, "global fact about rockets", None)
        .unwrap();
    store
        .remember(&project("acme"), "acme fact about rockets", None)
        .unwrap();
    store
        .remember(&project("zeta"), "zeta fact about rockets", None)
        .unwrap();
    let mut acme = recall(&store, "rockets", Some("acme"));
    acme.sort();
    assert_eq!(
        acme,
        ["acme fact about rockets", "global fact about rockets"]
    );
    assert_eq!(
        recall(&store, "rockets", None),
        ["global fact about rockets"]
    );
}

#[test]
fn recall_stays_within_its_limit_and_token_budget() {
    let store = Store::open_in_memory().unwrap();
    let long = format!("tulips {}", "x".repeat(390)); // 100 tokens
    store.remember(&MemoryScope::Global, &long, None).unwrap();
    for n in 0..10 {
        store
            .remember(&MemoryScope::Global, &format!("tulips note {n}"), None)
            .unwrap();
    }
    let within = |limit, token_budget| {
        store
            .recall(&RecallQuery {
                text: "tulips",
                project: None,
                limit,
                token_budget,
            })
            .unwrap()
    };
    assert_eq!(within(3, 800).len(), 3);
    // The long entry does not fit in 50 tokens; the short ones still do.
    let small = within(20, 50);
    assert_eq!(small.len(), 10);
    assert!(small.iter().all(|e| e.content != long));
    let used: usize = small
        .iter()
        .map(|e| cowork_store::memory_tokens(&e.content))
        .sum();
    assert!(used <= 50, "{used}");
}

#[test]
fn an_entry_is_found_by_a_unique_prefix_and_listed_by_scope() {
    let store = Store::open_in_memory().unwrap();
    let task = TaskId::new();
    let made = store
        .remember(&project("acme"), "  ship on Fridays  ", Some(&task))
        .unwrap();
    assert_eq!(made.content, "ship on Fridays", "text is trimmed");
    assert_eq!(made.id.len(), 12);
    assert!(made.id.chars().all(|c| c.is_ascii_hexdigit()));
    let found = store.memory(&made.id[..6].to_uppercase()).unwrap();
    assert_eq!(found, made);
    assert_eq!(found.task, Some(task));
    let global = store
        .remember(&MemoryScope::Global, "tea, no sugar", None)
        .unwrap();
    let ids = |filter| -> Vec<String> {
        store
            .list_memory(&filter)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids(MemoryFilter::Global), [global.id.as_str()]);
    assert_eq!(
        ids(MemoryFilter::Project("acme".into())),
        [made.id.as_str()]
    );
    assert_eq!(
        ids(MemoryFilter::Project("zeta".into())),
        Vec::<String>::new()
    );
    assert_eq!(ids(MemoryFilter::All).len(), 2);
    assert_eq!(ids(MemoryFilter::ProjectAndGlobal("acme".into())).len(), 2);
    assert!(matches!(
        store.memory("abc"),
        Err(StoreError::MemoryNotFound { .. })
    ));
}

#[test]
fn a_task_cannot_forget_or_even_see_another_projects_entry() {
    let store = Store::open_in_memory().unwrap();
    let other = store
        .remember(&project("zeta"), "zeta secret", None)
        .unwrap();
    let err = store
        .forget(&other.id, &MemoryFilter::ProjectAndGlobal("acme".into()))
        .unwrap_err();
    assert!(matches!(err, StoreError::MemoryNotFound { .. }), "{err}");
    let err = store.forget(&other.id, &MemoryFilter::Global).unwrap_err();
    assert!(matches!(err, StoreError::MemoryNotFound { .. }), "{err}");
    assert_eq!(store.memory(&other.id).unwrap(), other);
    store.forget(&other.id, &MemoryFilter::All).unwrap();
    assert!(store.memory(&other.id).is_err());
}

#[test]
fn empty_and_oversized_entries_are_refused_with_the_limit_named() {
    let store = Store::open_in_memory().unwrap();
    assert!(matches!(
        store.remember(&MemoryScope::Global, "  \n ", None),
        Err(StoreError::EmptyMemory)
    ));
    let err = store
        .remember(
            &MemoryScope::Global,
            &"x".repeat(MEMORY_MAX_CHARS + 1),
            None,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains(&MEMORY_MAX_CHARS.to_string()),
        "{err}"
    );
    assert!(matches!(
        store.remember(&project(" "), "x", None),
        Err(StoreError::EmptyProjectName)
    ));
    assert!(store.list_memory(&MemoryFilter::All).unwrap().is_empty());
}

#[test]
fn an_edit_is_found_by_its_new_words_and_not_its_old_ones() {
    let store = Store::open_in_memory().unwrap();
    let made = store
        .remember(
            &MemoryScope::Global,
            "the wifi password is on the fridge",
            None,
        )
        .unwrap();
    let before = store
        .edit_memory(&made.id, "the router sits in the hallway")
        .unwrap();
    assert_eq!(before.entry.content, made.content);
    assert!(recall(&store, "fridge", None).is_empty());
    assert_eq!(
        recall(&store, "router", None),
        ["the router sits in the hallway"]
    );
    let after = store.memory(&made.id).unwrap();
    assert!(after.updated_at >= made.updated_at);
    assert_eq!(after.created_at, made.created_at);
}

/// Ranking costs time for each match: once a query's words would rank
/// more than `MAX_RANKED` entries, only entries with one of its rarer
/// words are ranked — by all its words, so the common ones still tell
/// the candidates apart.
#[test]
fn the_commonest_words_only_rank_entries_that_hold_a_rarer_one_in_a_large_memory() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(
        store.recall_plan("the Berlin office").unwrap(),
        RecallPlan::default()
    );
    for n in 0..=cowork_store::MAX_RANKED {
        store
            .remember(
                &MemoryScope::Global,
                &format!("office chores, week {n}"),
                None,
            )
            .unwrap();
    }
    // Office must stay rarer than half the entries to weigh in BM25.
    for n in 0..cowork_store::MAX_RANKED + 500 {
        store
            .remember(
                &MemoryScope::Global,
                &format!("garden notes, week {n}"),
                None,
            )
            .unwrap();
    }
    // As long as each other: only "office" tells them apart (without it
    // they tie, and the newer would come first).
    let wanted = "The Berlin office keys are with Anna.";
    store.remember(&MemoryScope::Global, wanted, None).unwrap();
    store
        .remember(
            &MemoryScope::Global,
            "The Berlin keys are with Anna today.",
            None,
        )
        .unwrap();
    let prompt = "Where are the keys for the Berlin office?";
    let plan = store.recall_plan(prompt).unwrap();
    assert_eq!(plan.kept, ["keys", "berlin"], "words that match nothing go");
    assert_eq!(plan.left_out, ["office"], "it matches too many");
    let found = recall(&store, prompt, None);
    assert_eq!(found.len(), 2, "office chores are not ranked: {found:#?}");
    assert_eq!(found[0], wanted, "office still counts in the ranking");
    // Below the limit every word decides what is ranked.
    let small = Store::open_in_memory().unwrap();
    small.remember(&MemoryScope::Global, wanted, None).unwrap();
    let plan = small.recall_plan("keys for the Berlin office").unwrap();
    assert_eq!(plan.kept, ["keys", "berlin", "office"]);
    assert!(plan.left_out.is_empty());
}
