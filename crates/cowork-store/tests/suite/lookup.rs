use cowork_protocol::{Event, TaskId, TaskStatus};
use cowork_store::{MIN_PREFIX, Owner, Store, StoreError};

use super::{new_task, spec};

fn store_with(ids: &[&str]) -> Store {
    let store = Store::open_in_memory().unwrap();
    let owner = Owner::current().unwrap();
    for id in ids {
        store
            .create_task(&TaskId::from_raw(*id), &spec(&format!("task {id}")), &owner)
            .unwrap();
    }
    store
}

const A: &str = "0190aaaa11112222333344445555aaaa";
const B: &str = "0190aaab11112222333344445555bbbb";
const C: &str = "0190bbbb11112222333344445555cccc";

#[test]
fn a_full_id_finds_its_task() {
    let store = store_with(&[A, B, C]);
    assert_eq!(store.task(B).unwrap().id.as_str(), B);
}

#[test]
fn a_unique_prefix_finds_its_task() {
    let store = store_with(&[A, B, C]);
    assert_eq!(store.task("0190b").unwrap().id.as_str(), C);
    assert_eq!(store.task("0190aaab").unwrap().id.as_str(), B);
    assert_eq!(store.task("  0190bbbb \n").unwrap().id.as_str(), C);
}

#[test]
fn a_prefix_in_capitals_still_finds_a_lower_case_id() {
    let store = store_with(&[A, B, C]);
    assert_eq!(store.task("0190BBBB").unwrap().id.as_str(), C);
}

#[test]
fn a_shared_prefix_is_ambiguous_and_lists_the_candidates() {
    let store = store_with(&[A, B, C]);
    let err = store.task("0190aaa").unwrap_err();
    match &err {
        StoreError::Ambiguous { prefix, candidates } => {
            assert_eq!(prefix, "0190aaa");
            assert_eq!(candidates, &[A.to_owned(), B.to_owned()]);
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(A) && message.contains(B), "{message}");
    assert!(!message.contains(C), "{message}");
}

#[test]
fn a_prefix_that_matches_nothing_is_not_found() {
    let store = store_with(&[A, B, C]);
    let err = store.task("0190cccc").unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound { id } if id == "0190cccc"),
        "{err:?}"
    );
    assert!(err.to_string().contains("0190cccc"));
}

#[test]
fn a_prefix_with_sql_wildcards_is_taken_literally() {
    let store = store_with(&[A, B, C]);
    assert!(matches!(
        store.task("0190%"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.task("0190_aaa"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.task("0190*"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_prefix_shorter_than_the_minimum_is_refused() {
    let store = store_with(&[A, B, C]);
    let short = &C[..MIN_PREFIX - 1];
    let err = store.task(short).unwrap_err();
    assert!(
        matches!(&err, StoreError::PrefixTooShort { prefix, min } if prefix == short && *min == MIN_PREFIX),
        "{err:?}"
    );
    assert!(err.to_string().contains("at least 4"), "{err}");
}

#[test]
fn last_is_the_newest_task() {
    let store = Store::open_in_memory().unwrap();
    new_task(&store, "old");
    let newest = new_task(&store, "new");
    let row = store.task("last").unwrap();
    assert_eq!(row.id, newest);
    assert_eq!(row.prompt, "new");
}

#[test]
fn last_with_no_tasks_is_not_found() {
    let store = Store::open_in_memory().unwrap();
    assert!(matches!(store.task("last"), Err(StoreError::NotFound { id }) if id == "last"));
}

#[test]
fn tasks_are_listed_newest_first_up_to_the_limit() {
    let store = Store::open_in_memory().unwrap();
    let ids: Vec<TaskId> = (0..5).map(|i| new_task(&store, &format!("t{i}"))).collect();
    store
        .append(
            &ids[1],
            &Event::StatusChanged {
                status: TaskStatus::Cancelled,
                reason: Some("asked to stop".to_owned()),
                end: None,
            },
        )
        .unwrap();
    let listed = store.list_tasks(3).unwrap();
    let listed_ids: Vec<&TaskId> = listed.iter().map(|r| &r.id).collect();
    assert_eq!(listed_ids, [&ids[4], &ids[3], &ids[2]]);
    let all = store.list_tasks(100).unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[3].status, TaskStatus::Cancelled);
    assert_eq!(all[3].status_reason.as_deref(), Some("asked to stop"));
    assert!(store.list_tasks(0).unwrap().is_empty());
}
