use cowork_store::{SCHEMA_VERSION, Store, StoreError};

use super::{file_store, new_task};

fn user_version(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

#[test]
fn a_fresh_file_is_migrated_to_the_current_schema_in_wal_mode() {
    let (_dir, store) = file_store();
    let path = store.path().unwrap().to_path_buf();
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "events",
            "memory",
            "memory_fts",
            "memory_fts_config",
            "memory_fts_data",
            "memory_fts_docsize",
            "memory_fts_idx",
            "memory_terms",
            "memory_totals",
            "memory_vocab",
            "notices",
            "projects",
            "schedule_rev",
            "schedule_runs",
            "schedules",
            "tasks"
        ]
    );
}

#[test]
fn reopening_a_migrated_file_keeps_its_tasks_and_changes_nothing() {
    let (dir, store) = file_store();
    let id = new_task(&store, "keep me");
    drop(store);
    let path = dir.path().join("cowork.db");
    let again = Store::open(&path).unwrap();
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(again.task(id.as_str()).unwrap().prompt, "keep me");
    assert_eq!(again.events(&id).unwrap().len(), 1);
    drop(again);
    // A third open is just as uneventful.
    Store::open(&path).unwrap();
}

#[test]
fn missing_parent_folders_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("cowork").join("cowork.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), Some(path.as_path()));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&dir.path().join("data/cowork")), 0o700);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn an_in_memory_store_has_no_path() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.path(), None);
}

#[test]
fn a_database_from_a_newer_cowork_is_refused_with_advice_to_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cowork.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 7)
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, SCHEMA_VERSION + 7);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("upgrade cowork"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    // Refusing it wrote nothing: the newer schema version is untouched.
    assert_eq!(user_version(&path), SCHEMA_VERSION + 7);
}

#[test]
fn a_file_that_is_not_a_database_is_an_open_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cowork.db");
    std::fs::write(
        &path,
        b"this is a text file, not SQLite, and long enough to have a header",
    )
    .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("could not open the task database at "),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn a_parent_that_is_a_file_is_reported_with_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let err = Store::open(&blocker.join("sub").join("cowork.db")).unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("blocker"), "{err}");
}
