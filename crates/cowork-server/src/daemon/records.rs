//! How each daemon task was asked to run ([`RunChoices`]), kept in the data
//! dir beside the store: the spec in the log says what to do, this says
//! with which sandbox, network and approvals, so a run resumed after a
//! restart is the run the person started.

use std::io::Write;
use std::path::{Path, PathBuf};

use cowork_protocol::TaskId;

use super::request::RunChoices;

#[derive(Debug, Clone)]
pub(crate) struct Records {
    dir: PathBuf,
}

impl Records {
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("daemon").join("runs"),
        }
    }

    fn path(&self, id: &TaskId) -> PathBuf {
        self.dir.join(format!("{}.json", id.as_str()))
    }

    /// Writes `id`'s choices atomically (a temporary file renamed into
    /// place), private to the user, before the task is recorded.
    pub(crate) fn save(&self, id: &TaskId, run: &RunChoices) -> std::io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir)?;
        let json = serde_json::to_vec(run).map_err(std::io::Error::other)?;
        // One writer per task id, so a fixed temporary name cannot collide.
        let temp = self.dir.join(format!(".{}.tmp", id.as_str()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&temp, self.path(id))?;
        Ok(())
    }

    /// `id`'s choices; the safe defaults (sandboxed, no network, ask)
    /// when none were kept or they do not read back.
    pub(crate) fn load(&self, id: &TaskId) -> RunChoices {
        let path = self.path(id);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(task = %id, "{} does not read back ({e}); running it sandboxed, without network, asking", path.display());
                RunChoices::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RunChoices::default(),
            Err(e) => {
                tracing::warn!(task = %id, "{} cannot be read ({e}); running it sandboxed, without network, asking", path.display());
                RunChoices::default()
            }
        }
    }
}
