//! Schema migrations: numbered SQL files applied in order, the version kept
//! in `PRAGMA user_version`.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::StoreError;
use crate::error::SqlContext;

/// The migrations, in order: entry `i` brings the schema to version `i + 1`.
/// Never edit a released file; add the next one.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_host.sql"),
    include_str!("../migrations/0003_memory.sql"),
    include_str!("../migrations/0004_projects.sql"),
    include_str!("../migrations/0005_schedules.sql"),
    include_str!("../migrations/0006_memory_terms.sql"),
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], refusing one from a newer
/// cowork. Safe when two processes open a fresh file at once: the version
/// is read inside the same write transaction that migrates.
pub(crate) fn migrate(conn: &mut Connection, path: Option<&Path>) -> Result<(), StoreError> {
    apply_with(conn, path, MIGRATIONS, STEPS)
}

/// Work a migration needs beyond SQL, run right after its SQL in the same
/// transaction: (the version it completes, the step).
type Step = (i64, fn(&Transaction<'_>) -> rusqlite::Result<()>);

const STEPS: &[Step] = &[
    // Entries made before the store kept word counts get theirs.
    (6, crate::memory_rank::count_earlier_entries),
];

/// Applies the `migrations` the database has not seen yet, all or none.
#[cfg(test)]
fn apply(
    conn: &mut Connection,
    path: Option<&Path>,
    migrations: &[&str],
) -> Result<(), StoreError> {
    apply_with(conn, path, migrations, &[])
}

/// [`apply`], running each of `steps` after its version's SQL.
fn apply_with(
    conn: &mut Connection,
    path: Option<&Path>,
    migrations: &[&str],
    steps: &[Step],
) -> Result<(), StoreError> {
    let supported = i64::try_from(migrations.len()).unwrap_or(i64::MAX);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .at(path)?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .at(path)?;
    if !(0..=supported).contains(&found) {
        return Err(StoreError::TooNew {
            path: path.map(Path::to_path_buf),
            found,
            supported,
        });
    }
    if found == supported {
        // Nothing to write: a read-only rollback keeps the WAL untouched.
        return tx.rollback().at(path);
    }
    for (version, sql) in (1..).zip(migrations).skip_while(|(v, _)| *v <= found) {
        tx.execute_batch(sql).at(path)?;
        for (_, step) in steps.iter().filter(|(v, _)| *v == version) {
            step(&tx).at(path)?;
        }
        tx.pragma_update(None, "user_version", version).at(path)?;
    }
    tx.commit().at(path)
}

#[cfg(test)]
#[path = "migrate_tests.rs"]
mod tests;
