use super::*;

fn failure(code: std::ffi::c_int) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
}

#[test]
fn a_lock_timeout_is_reported_as_locked_so_callers_can_retry() {
    let path = Path::new("/data/cowork.db");
    for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_LOCKED] {
        let err = sql_error(failure(code), Some(path));
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
        assert!(err.to_string().contains("/data/cowork.db"), "{err}");
    }
}

#[test]
fn other_sqlite_failures_name_the_file_or_say_in_memory() {
    let on_disk = sql_error(
        failure(rusqlite::ffi::SQLITE_FULL),
        Some(Path::new("/d/c.db")),
    );
    assert!(matches!(on_disk, StoreError::Sqlite { .. }), "{on_disk:?}");
    assert!(
        on_disk
            .to_string()
            .starts_with("task database error at /d/c.db: ")
    );
    let in_memory = sql_error(failure(rusqlite::ffi::SQLITE_FULL), None);
    assert!(in_memory.to_string().contains("(in memory)"), "{in_memory}");
}
