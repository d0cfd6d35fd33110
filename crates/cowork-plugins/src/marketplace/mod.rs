//! Marketplaces and the plugins installed from them.
//!
//! - [`manifest`]: `.claude-plugin/marketplace.json` as Claude Code reads
//!   it: relative, `url`, `github` and `git-subdir` sources,
//!   `metadata.pluginRoot`, `strict: false` entries with inline
//!   components.
//! - [`known`]: the marketplaces the person added
//!   (`<data>/plugins/known_marketplaces.json`). A folder is used in place,
//!   as Claude Code does: it is recorded, not copied, and `update` reads it
//!   again. A git URL or `owner/repo` is cloned with the system `git`
//!   (`--depth 1`, no prompt, no shell) into
//!   `<data>/plugins/marketplaces/<name>/`.
//! - [`install`]: fetching a plugin into
//!   `<data>/plugins/cache/<marketplace>/<plugin>/<version>/`, with a
//!   [`PluginSummary`] of what it brings, read by the same loader as
//!   tasks use ([`crate::format::load_plugin`]), shown before it is
//!   committed.
//!   Files are copied, never links: a symlink is left out with a warning.
//! - [`installed`]: `<data>/plugins/installed.json`, enabling and
//!   disabling, and [`Installed::enabled`], what tasks get.
//!
//! Every state file is written atomically (a temporary file renamed over
//! it) and every read-modify-write holds an exclusive lock on
//! `<data>/plugins/.lock`, so the daemon and the CLI can change state at
//! once without losing each other's changes. The administrator's
//! [`Policy`](crate::curation::Policy) is read by every operation here and
//! cannot be loosened by anything the person sets.
//!
//! ```no_run
//! # fn demo(paths: &cowork_plugins::PluginPaths) -> Result<(), cowork_plugins::marketplace::MarketError> {
//! use cowork_plugins::marketplace::{install, known, Installed};
//! known::add(paths, "./my-marketplace")?;
//! let staged = install::prepare(paths, "productivity@my-marketplace")?;
//! println!("{} skills", staged.summary().skills.len());
//! staged.commit()?;
//! for plugin in Installed::load(paths)?.enabled() {
//!     println!("{} at {}", plugin.id, plugin.path.display());
//! }
//! # Ok(()) }
//! ```

mod error;
mod fsutil;
mod git;
pub mod install;
pub mod installed;
pub mod known;
pub mod manifest;
mod state;
mod summary;

pub use error::MarketError;
pub use installed::{Installed, InstalledPlugin};
pub use manifest::{GitSource, Marketplace, PluginEntry, PluginSource};
pub use summary::{ConnectorInfo, HookInfo, PluginSummary, describe};
