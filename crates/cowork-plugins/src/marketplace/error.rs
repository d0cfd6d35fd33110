//! What can go wrong with marketplaces and installed plugins, each saying
//! what to do about it.

use std::path::PathBuf;

use thiserror::Error;

use crate::curation::{Blocked, PolicyError};

#[derive(Debug, Error)]
pub enum MarketError {
    /// A file or folder could not be read or written; the path says which.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A marketplace file is not a marketplace; its maintainer must fix it.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Manifest {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// One of cowork's own state files is damaged; the message names it.
    #[error("{} is damaged ({message}); move it aside to start over", file.display())]
    State { file: PathBuf, message: String },
    /// `git` is not installed.
    #[error(
        "git is needed to fetch {url} but was not found: install git, or add a marketplace folder instead"
    )]
    GitMissing { url: String },
    /// A git command failed (network, authentication, unknown ref).
    #[error("`git {command}` failed: {stderr}")]
    Git { command: String, stderr: String },
    /// A pinned commit is not what the repository gave.
    #[error(
        "{url} was pinned to commit {want} but gave {got}: the marketplace entry or the repository changed; refusing to install unverified code"
    )]
    ShaMismatch {
        url: String,
        want: String,
        got: String,
    },
    /// `marketplace add` was given something it cannot use.
    #[error("`{given}` {reason}")]
    NotAMarketplace { given: String, reason: String },
    /// Two different sources call themselves the same marketplace.
    #[error(
        "a marketplace named `{name}` is already added from {existing}; {new} uses the same name. Remove the first (`cowork plugin marketplace remove {name}`) to use the second"
    )]
    Clash {
        name: String,
        existing: String,
        new: String,
    },
    /// `update` found the marketplace renamed itself.
    #[error("the marketplace `{name}` now calls itself `{now}`: remove it and add it again")]
    Renamed { name: String, now: String },
    #[error("no marketplace named `{name}`; known: {}", list(known))]
    UnknownMarketplace { name: String, known: Vec<String> },
    #[error("no plugin `{name}` in {}{}", where_, close_matches(close))]
    UnknownPlugin {
        name: String,
        where_: String,
        close: Vec<String>,
    },
    /// A bare plugin name matches several.
    #[error(
        "`{name}` is offered by several marketplaces: name one of {}",
        list(choices)
    )]
    Ambiguous { name: String, choices: Vec<String> },
    #[error("`{name}` is not installed; installed: {}", list(installed))]
    NotInstalled {
        name: String,
        installed: Vec<String>,
    },
    /// A plugin's files cannot be fetched as its entry says.
    #[error("cannot install `{plugin}`: {message}")]
    BadSource { plugin: String, message: String },
    /// The administrator's policy file is invalid: nothing is allowed until
    /// it is fixed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The administrator's policy forbids this.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// The administrator requires this plugin: it stays installed and on.
    #[error("`{id}` is required by the administrator's policy {}: it cannot be {action}", policy_file.display())]
    Required {
        id: String,
        action: &'static str,
        policy_file: PathBuf,
    },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn close_matches(close: &[String]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

impl MarketError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
