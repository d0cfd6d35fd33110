use super::*;

fn version(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

fn tables(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn only_the_migrations_not_yet_applied_run() {
    let mut conn = Connection::open_in_memory().unwrap();
    apply(&mut conn, None, &["CREATE TABLE a (x);"]).unwrap();
    assert_eq!(version(&conn), 1);
    // Running the first one again would fail with "table a already exists".
    apply(
        &mut conn,
        None,
        &["CREATE TABLE a (x);", "CREATE TABLE b (y);"],
    )
    .unwrap();
    assert_eq!(version(&conn), 2);
    assert_eq!(tables(&conn), ["a", "b"]);
}

#[test]
fn a_failing_migration_leaves_the_database_as_it_was() {
    let mut conn = Connection::open_in_memory().unwrap();
    let err = apply(
        &mut conn,
        None,
        &[
            "CREATE TABLE a (x);",
            "CREATE TABLE b (y); THIS IS NOT SQL;",
        ],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
    assert_eq!(version(&conn), 0);
    assert!(tables(&conn).is_empty());
}

#[test]
fn the_embedded_migrations_build_the_documented_schema() {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn, None).unwrap();
    assert_eq!(version(&conn), SCHEMA_VERSION);
    assert_eq!(
        tables(&conn),
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
    let without_rowid: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'events'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(without_rowid.contains("WITHOUT ROWID"));
}
