//! What the web UI needs from parts of cowork this crate does not depend
//! on, handed in by the front that starts the daemon (`cowork serve`):
//! the secrets an export must never hold (model keys, the plugins'
//! connector headers and variables, OAuth tokens) and the person's folder
//! trust (kept by cowork-plugins, which the daemon's tasks read).
//!
//! Each is optional: without it the page that needs it says so and does
//! nothing, never a weaker version (an export without the secrets list
//! could leak one).
//!
//! ```
//! use std::sync::Arc;
//! use cowork_server::hand_ins::{ExportSetup, HandIns};
//!
//! let hand_ins = HandIns {
//!     export: Some(ExportSetup::new(Arc::new(vec!["sk-test-secret".to_owned()]))),
//!     trust: None,
//! };
//! assert!(hand_ins.trust.is_none());
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An error of a handed-in part, shown to the person as it words itself.
pub type HandInError = Box<dyn std::error::Error + Send + Sync>;

/// Everything secret the front knows of, gathered afresh for each export
/// (a connector added since the daemon started counts).
pub trait SecretSource: Send + Sync {
    fn secrets(&self) -> Vec<String>;
}

/// A fixed list, for tests and fronts that know their secrets up front.
impl SecretSource for Vec<String> {
    fn secrets(&self) -> Vec<String> {
        self.clone()
    }
}

/// The person's answers about folders whose own instructions and skills
/// tasks may follow: what `cowork trust FOLDER [--revoke]` records. An
/// answer applies to tasks started after it.
pub trait FolderTrustControl: Send + Sync {
    /// `Some(true)`: trusted; `Some(false)`: refused; `None`: not asked.
    fn answer(&self, folder: &Path) -> Result<Option<bool>, HandInError>;
    /// Records the person's answer for `folder`.
    fn set(&self, folder: &Path, trusted: bool) -> Result<(), HandInError>;
}

/// What an export reads besides the store, as `cowork export` would.
#[derive(Clone)]
pub struct ExportSetup {
    pub secrets: Arc<dyn SecretSource>,
    /// The paths deny rules hide from tasks (globs), hidden in the export
    /// too.
    pub hidden: Vec<String>,
    /// cowork's own folders, concealed from tasks and from the export.
    pub reserved: Vec<PathBuf>,
    /// The data dir whose change journal holds the files' earlier
    /// versions; `None`: files are read from the folders only.
    pub journal_dir: Option<PathBuf>,
}

impl ExportSetup {
    /// Only the secrets: nothing hidden, no journal.
    pub fn new(secrets: Arc<dyn SecretSource>) -> Self {
        Self {
            secrets,
            hidden: Vec::new(),
            reserved: Vec::new(),
            journal_dir: None,
        }
    }
}

/// The parts handed in; [`Default`] has none.
#[derive(Clone, Default)]
pub struct HandIns {
    pub export: Option<ExportSetup>,
    pub trust: Option<Arc<dyn FolderTrustControl>>,
}

impl std::fmt::Debug for HandIns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secrets themselves stay out of logs.
        f.debug_struct("HandIns")
            .field("export", &self.export.is_some())
            .field("trust", &self.trust.is_some())
            .finish()
    }
}
