//! Opening the database and sharing its one connection.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::StoreError;
use crate::error::SqlContext;
use crate::migrate::migrate;

/// How long a write waits for another process's transaction before giving
/// up with [`StoreError::Locked`].
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// Enough for every statement the store prepares, so none is re-parsed.
const STATEMENT_CACHE: usize = 32;

/// How often `open` tries again after a lock deadlock (10 ms, 20 ms, …: about
/// 2 s in all).
const OPEN_ATTEMPTS: u32 = 20;

/// The task database: one SQLite file in WAL mode, safe to open from
/// several processes at once. Methods are synchronous and short; share a
/// `Store` between threads behind an `Arc`.
pub struct Store {
    db: Mutex<Db>,
    path: Option<PathBuf>,
    /// Each committed write: the durability it asked for and the
    /// `synchronous` level really in force inside its transaction.
    #[cfg(test)]
    pub(crate) commits: Mutex<Vec<(Durability, i64)>>,
}

/// The one connection every thread of this process shares, with the
/// `synchronous` level it is set to. That level belongs to the connection,
/// not to a transaction, so it is only ever changed by [`Store::write`]
/// while it holds the lock for the whole write.
pub(crate) struct Db {
    conn: Connection,
    /// `None` after a failed switch: unknown, so the next write sets it.
    level: Option<Durability>,
}

impl std::ops::Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// How durable a write's commit must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// WAL's `synchronous=NORMAL`: survives a crash of the process, but the
    /// last commits may be lost on power loss.
    Normal,
    /// `synchronous=FULL`: on disk before the commit returns, even across
    /// a power loss.
    Full,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, creating missing
    /// parent folders private to the user (0700) and the file itself 0600,
    /// and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        create_private_parent(path)?;
        create_private_file(path);
        // Two processes opening a fresh file at once can deadlock on its
        // locks (both switching it to WAL, both migrating); SQLite then
        // answers "busy" at once rather than waiting. Opening again after a
        // short pause resolves it: by then one of them has finished.
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match Self::open_once(path) {
                Err(StoreError::Locked { .. }) if attempt < OPEN_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(u64::from(attempt) * 10));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::setup(conn, Some(path.to_path_buf())).map_err(|err| match err {
            // Whatever fails while setting up (a file that is not a
            // database shows up only here) is a failure to open it.
            StoreError::Sqlite {
                path: Some(path),
                source,
            } => StoreError::Open { path, source },
            other => other,
        })
    }

    /// A private database that lives as long as the `Store`: for tests and
    /// one-off runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().at(None)?;
        Self::setup(conn, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        let at = path.as_deref();
        // The busy timeout first: switching to WAL itself needs a lock that
        // another process opening the file may hold.
        conn.busy_timeout(BUSY_TIMEOUT).at(at)?;
        // An in-memory database answers "memory"; that is fine.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .at(at)?;
        conn.pragma_update(None, "synchronous", Durability::Normal.pragma())
            .at(at)?;
        conn.pragma_update(None, "foreign_keys", "ON").at(at)?;
        // Freed space is zeroed, so deleted rows (a forgotten memory entry)
        // leave no copy in the file's free pages or cells.
        conn.pragma_update(None, "secure_delete", "ON").at(at)?;
        // Memory recall reads a row of word counts for each candidate,
        // spread over the whole table; in SQLite's default 2 MiB cache a
        // large memory is read back from the OS on every recall (4x
        // slower at 100,000 entries). The cache only grows as pages are
        // read, up to this (KiB).
        conn.pragma_update(None, "cache_size", -65_536).at(at)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn, at)?;
        Ok(Self {
            db: Mutex::new(Db {
                conn,
                level: Some(Durability::Normal),
            }),
            path,
            #[cfg(test)]
            commits: Mutex::default(),
        })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection, for reading. A panic while holding it cannot leave
    /// a half-done write behind (an open transaction rolls back when
    /// dropped), so a poisoned lock is safe to take over.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `body` in one write transaction committed with `durability`.
    /// Every write goes through here: the connection's `synchronous` level
    /// is set for this write, and the transaction committed, under one
    /// hold of the lock, so another thread's write can never change the
    /// level in between — whatever the previous write asked for, and
    /// however it ended (error, panic).
    pub(crate) fn write<T>(
        &self,
        durability: Durability,
        body: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path();
        let mut db = self.conn();
        if db.level != Some(durability) {
            db.level = None;
            match db
                .conn
                .pragma_update(None, "synchronous", durability.pragma())
            {
                Ok(()) => db.level = Some(durability),
                // Committing at FULL where NORMAL was asked is only slower;
                // the next write tries the switch again.
                Err(_) if durability == Durability::Normal => {}
                Err(err) => return Err(crate::error::sql_error(err, path)),
            }
        }
        let tx = db
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(path)?;
        let value = body(&tx)?;
        #[cfg(test)]
        self.observe_commit(&tx, durability);
        tx.commit().at(path)?;
        Ok(value)
    }

    #[cfg(test)]
    fn observe_commit(&self, tx: &Transaction<'_>, durability: Durability) {
        let level = tx
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap_or(-1);
        self.commits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((durability, level));
    }
}

/// Milliseconds since the Unix epoch, as stored in the database.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn create_private_parent(path: &Path) -> Result<(), StoreError> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(parent)
        .map_err(|source| StoreError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })
}

/// Creates the file 0600 before SQLite does, since it holds every prompt
/// and result; the WAL and shared-memory files inherit its mode.
fn create_private_file(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // Already there, or impossible to create: either way SQLite opens it
    // next and reports any real problem as an open failure.
    let _ = options.open(path);
}
