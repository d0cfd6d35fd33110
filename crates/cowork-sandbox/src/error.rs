//! The crate's error type.

/// Why a command could not be run. A command that runs and fails is not an
/// error: it is an [`crate::Output`] with a non-zero status.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The machine cannot sandbox at all (e.g. user namespaces disabled).
    /// Retrying will not help; show `fix` to the user.
    #[error("sandbox unavailable: {cause} (fix: {fix})")]
    Unavailable {
        /// What is missing.
        cause: String,
        /// What the user can do about it.
        fix: String,
    },
    /// The spec itself is wrong (empty command, cwd outside the mounts, a
    /// relative or missing mount path). Fix the request, not the machine.
    #[error("invalid sandbox request: {field}: {reason}")]
    InvalidSpec {
        /// Which field of `SandboxSpec`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The program could not be started (not found, not executable, or the
    /// fork itself failed).
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// argv\[0\] as given.
        program: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// One isolation layer failed to apply in the child; nothing ran.
    #[error("sandbox setup failed at {step}: {message}")]
    Setup {
        /// Which layer or mount (e.g. "bind /work/data").
        step: String,
        /// The system's reason.
        message: String,
    },
    /// A staged folder's overlay could not be mounted (an old kernel, or a
    /// stage on a file system without `user.*` extended attributes).
    /// Nothing ran; the same command can run with the folder read-only.
    #[error("cannot stage changes to {folder}: {message}")]
    Staging {
        /// The folder that was to be staged.
        folder: std::path::PathBuf,
        /// The system's reason.
        message: String,
    },
    /// An I/O error talking to the child (pipes, wait).
    #[error("sandbox I/O error while {context}: {source}")]
    Io {
        /// What the supervisor was doing.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl SandboxError {
    /// An `InvalidSpec` for `field`.
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidSpec {
            field,
            reason: reason.into(),
        }
    }

    /// Wraps an I/O error with what the supervisor was doing.
    pub(crate) fn io(context: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self::Io { context, source }
    }
}
