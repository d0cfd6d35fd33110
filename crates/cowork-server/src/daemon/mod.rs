//! The daemon's task manager: runs tasks in the background for every
//! front (the web UI, the API, CLIs attached to the daemon) and is what
//! the HTTP layer calls through [`Backend`](crate::Backend).
//!
//! At most `max_tasks` work at once (a task waiting for a person's answer
//! does not count); the rest wait in submission order and
//! show as running with `queued` set. One [`Hub`] carries every task's
//! events to any number of watchers, and the manager holds an
//! [`OpSender`](cowork_core::OpSender) per running task, so a task needs
//! no watcher to go on and its questions wait for whichever front answers
//! first.
//!
//! Every task is recorded as the daemon's
//! ([`Host::Daemon`](cowork_store::Host::Daemon)) before it runs.
//! Stopping the daemon (or killing it) leaves its tasks `running` in the
//! store under the dead process; the next [`TaskManager::start`] marks
//! them interrupted and resumes them from their logs, queued like new
//! ones, with an approval that was waiting still waiting. Tasks a CLI ran
//! in-process are never touched. How each task was asked to run (sandbox,
//! network, approvals) is kept in `<data dir>/daemon/runs/`, so a resumed
//! run is the run the person started.
//!
//! The manager also runs every schedule in the store (`schedules.rs`): on
//! time by the injected [`Clock`], catching up after a suspend or a
//! restart as each schedule's policy says, each run a task of its own
//! linked to its schedule and confined to the schedule's scope. Every
//! notice (a run finished, failed, or waits) is kept in the store for the
//! web UI, and sent to the desktop or the person's command when
//! configured.
//!
//! ```no_run
//! # async fn demo(store: std::sync::Arc<cowork_store::Store>) -> Result<(), cowork_server::daemon::DaemonError> {
//! use cowork_server::Backend;
//! use cowork_server::daemon::{DaemonSetup, TaskManager};
//!
//! let manager = TaskManager::start(DaemonSetup::new(store, "/home/me/.local/share/cowork"))?;
//! let tasks = manager.list_tasks(20);
//! # Ok(()) }
//! ```

mod backend_impl;
mod files;
mod records;
mod request;
mod run_notices;
mod sched;
mod scheduled;
mod schedules;
mod view;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use cowork_core::factory::{ConfigLocation, Factory, FactoryError, FactorySetup, OwnPaths};
use cowork_core::{ExtensionSource, Hub};
use cowork_protocol::config::Config;
use cowork_store::{Store, StoreError};

use records::Records;
use sched::Sched;

pub use cowork_scheduler::{Clock, SystemClock};
pub use files::MAX_READ_BYTES;
pub use request::{DEFAULT_MAX_TURNS, RunChoices};

/// How many tasks run at once unless the daemon is told otherwise.
pub const DEFAULT_MAX_TASKS: usize = 4;

/// The longest the schedule runner sleeps between looks at the store (a
/// person's change, a run-now) and at the clock (a suspend).
pub const SCHEDULE_POLL: Duration = Duration::from_secs(1);

/// What the daemon runs tasks with.
pub struct DaemonSetup {
    pub store: Arc<Store>,
    /// cowork's data dir: the change journal, the trash, and how each task
    /// was asked to run.
    pub data_dir: PathBuf,
    /// Where the configuration lives, kept from every task like the data
    /// dir.
    pub config_location: Option<ConfigLocation>,
    pub config: Config,
    /// How many tasks run at once; the rest wait their turn.
    pub max_tasks: usize,
    /// Skills, connectors, hooks and `/commands` for every task (the
    /// plugins the person enabled); `None`: tasks get none.
    pub extensions: Option<Arc<dyn ExtensionSource>>,
    /// Where notices go when a task finishes, fails or waits for the
    /// person; `None`: nowhere but the web UI.
    pub notifier: Option<Arc<crate::notify::Notifier>>,
    /// The clocks schedules run by: the machine's, or a test's.
    pub clock: Arc<dyn Clock>,
    /// How often the schedule runner looks at the store and the clock at
    /// the least ([`SCHEDULE_POLL`]).
    pub schedule_poll: Duration,
}

impl DaemonSetup {
    /// The defaults: no configuration file, [`DEFAULT_MAX_TASKS`].
    pub fn new(store: Arc<Store>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            store,
            data_dir: data_dir.into(),
            config_location: None,
            config: Config::default(),
            extensions: None,
            notifier: None,
            max_tasks: DEFAULT_MAX_TASKS,
            clock: Arc::new(SystemClock::new()),
            schedule_poll: SCHEDULE_POLL,
        }
    }
}

/// Why the daemon's task manager could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The task database could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data dir, its journal or the configuration's rules are unusable.
    #[error(transparent)]
    Factory(#[from] FactoryError),
    /// `max_tasks` is 0: nothing could ever run.
    #[error("the daemon must be allowed to run at least one task at once (max tasks is 0)")]
    NoSlots,
    /// Started outside a tokio runtime: tasks need one to run on.
    #[error("the task manager must be started inside a tokio runtime")]
    NoRuntime,
}

/// Runs the daemon's tasks. Shared behind an `Arc`; implements
/// [`Backend`](crate::Backend).
pub struct TaskManager {
    store: Arc<Store>,
    hub: Hub,
    factory: Factory,
    records: Records,
    /// What stays hidden when reading a task's files back, as for the task.
    hidden: Vec<String>,
    reserved: Vec<PathBuf>,
    config: Config,
    max_tasks: usize,
    sched: Mutex<Sched>,
    accepting: AtomicBool,
    runtime: tokio::runtime::Handle,
    notifier: Option<Arc<crate::notify::Notifier>>,
    /// The schedule runner's task, stopped with the manager.
    schedules: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Handed to each task's watcher, which reports back when it ends; a
    /// weak one, so the watchers do not keep a stopped manager alive.
    me: Weak<TaskManager>,
}

impl std::fmt::Debug for TaskManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskManager")
            .field("max_tasks", &self.max_tasks)
            .finish_non_exhaustive()
    }
}

impl TaskManager {
    /// Starts the manager on the current tokio runtime: marks the tasks of
    /// a daemon that died as interrupted, then resumes every interrupted
    /// task the daemon hosted, oldest first, queued like new ones.
    pub fn start(setup: DaemonSetup) -> Result<Arc<Self>, DaemonError> {
        if setup.max_tasks == 0 {
            return Err(DaemonError::NoSlots);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| DaemonError::NoRuntime)?;
        let paths = OwnPaths::new(&setup.data_dir, setup.config_location.clone());
        let hub = Hub::new(Arc::clone(&setup.store));
        let mut factory = Factory::new(FactorySetup {
            hub: hub.clone(),
            paths: paths.clone(),
            config: setup.config.clone(),
        })?;
        if let Some(source) = setup.extensions.clone() {
            factory = factory.with_extensions(source);
        }
        setup.store.reap_interrupted()?;
        let manager = Arc::new_cyclic(|me| Self {
            store: Arc::clone(&setup.store),
            hub,
            factory,
            records: Records::new(&setup.data_dir),
            hidden: cowork_core::hidden_paths(&setup.config.rules),
            reserved: paths.reserved(),
            config: setup.config,
            max_tasks: setup.max_tasks,
            sched: Mutex::new(Sched::default()),
            accepting: AtomicBool::new(true),
            runtime,
            notifier: setup.notifier.filter(|n| n.is_active()),
            schedules: Mutex::new(None),
            me: me.clone(),
        });
        manager.resume_interrupted()?;
        let runner = schedules::Runner::new(
            Arc::downgrade(&manager),
            Arc::clone(&setup.store),
            setup.clock,
            setup.schedule_poll,
        );
        let handle = manager.runtime.spawn(runner.run());
        *lock(&manager.schedules) = Some(handle);
        Ok(manager)
    }

    /// Stops taking new tasks, messages and resumes, and stops running
    /// schedules. Running tasks are left as they are: when the process
    /// ends they stay `running` under it in the store, and the next start
    /// resumes them from their logs; a due time that passes meanwhile is
    /// the next daemon's to catch up.
    pub fn shutdown(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        if let Some(runner) = lock(&self.schedules).take() {
            runner.abort();
        }
    }

    /// How many tasks run now, and how many wait for a slot.
    pub fn load(&self) -> (usize, usize) {
        let sched = self.sched();
        (sched.running_count(), sched.queued_count())
    }

    /// The hub every task's events go through.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    fn sched(&self) -> MutexGuard<'_, Sched> {
        // The scheduler's maps stay consistent between statements; a panic
        // elsewhere while holding the lock leaves nothing half-done.
        self.sched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::SeqCst)
    }
}

impl Drop for TaskManager {
    /// A manager dropped without `shutdown` (a test's) runs no schedule
    /// on: a daemon started after it on the same store must be the only
    /// one recording due times.
    fn drop(&mut self) {
        if let Some(runner) = lock(&self.schedules).take() {
            runner.abort();
        }
    }
}

/// The runner's handle stays usable after a panic elsewhere: it is only
/// ever replaced whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
