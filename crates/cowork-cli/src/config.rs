//! Loading `config.toml`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use cowork_core::factory::{ConfigLocation, OwnPaths};
use cowork_files::canonical_prefix;
use cowork_protocol::config::{Config, Rule};

/// `COWORK_CONFIG` if set, else `$XDG_CONFIG_HOME/cowork/config.toml`, else
/// `~/.config/cowork/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var("COWORK_CONFIG") {
        return Some(PathBuf::from(path));
    }
    if let Some(xdg) = var("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(xdg).join("cowork/config.toml"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".config/cowork/config.toml"))
}

/// The configuration; defaults when there is no file. `~/` at the start of
/// a rule's folder or path means the home folder; rules are made to name
/// real places (see [`canonicalize_rule`]).
pub fn load() -> Result<Config> {
    let Some(path) = config_path() else {
        return Ok(Config::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the configuration {}", path.display()));
        }
    };
    let mut config: Config = toml::from_str(&text).with_context(|| {
        format!(
            "the configuration {} is not valid (see the README's \"Permissions\" section)",
            path.display()
        )
    })?;
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    for (index, rule) in config.rules.iter_mut().enumerate() {
        canonicalize_rule(rule, home.as_deref()).with_context(|| {
            format!("rule {} in the configuration {}", index + 1, path.display())
        })?;
    }
    Ok(config)
}

/// Where the configuration lives, as cowork's own (hidden from tasks): its
/// whole `cowork` folder in the usual place; only the file when
/// `COWORK_CONFIG` names one, whose folder may be anything.
pub fn config_location() -> Option<ConfigLocation> {
    let config = config_path()?;
    let named = std::env::var_os("COWORK_CONFIG").is_some_and(|v| !v.is_empty());
    Some(match config.parent() {
        Some(dir) if !named => ConfigLocation::Folder(dir.to_path_buf()),
        Some(_) | None => ConfigLocation::File(config),
    })
}

/// cowork's own files, which no task may see or change whatever its
/// folders: the data dir and the configuration.
pub fn own_paths() -> Result<OwnPaths> {
    Ok(OwnPaths::new(crate::home::data_dir()?, config_location()))
}

/// Rewrites a rule's folder and path glob to the real places they name,
/// so that a rule matches the real paths calls are judged on: `~` is
/// expanded, and the longest existing prefix is canonicalised (resolving
/// symlinks, `$HOME` itself included). A relative folder, or a glob that
/// is neither absolute nor starts with `**`, would never match anything
/// and is refused.
fn canonicalize_rule(rule: &mut Rule, home: Option<&Path>) -> Result<()> {
    if let Some(folder) = &rule.folder {
        let expanded = expand_home(folder, home)?;
        if !expanded.is_absolute() {
            bail!(
                "its folder `{}` is relative, so it would never match; write it as an absolute \
                 path (`/home/me/tax`) or start it with `~/`",
                folder.display()
            );
        }
        rule.folder = Some(canonical_prefix(&expanded));
    }
    if let Some(pattern) = &rule.path {
        let expanded = match pattern.strip_prefix("~/") {
            Some(rest) => {
                let home = home.context("its path starts with `~/` but HOME is not set")?;
                format!("{}/{rest}", home.display())
            }
            None => pattern.clone(),
        };
        if expanded.starts_with("**") {
            rule.path = Some(expanded);
        } else if expanded.starts_with('/') {
            rule.path = Some(canonical_glob(&expanded));
        } else {
            bail!(
                "its path glob `{pattern}` is relative, so it would never match; start it with \
                 `/` (`/home/me/tax/**`), `~/` or `**` (`**/*.key`)"
            );
        }
    }
    Ok(())
}

fn expand_home(path: &Path, home: Option<&Path>) -> Result<PathBuf> {
    match path.strip_prefix("~") {
        Ok(rest) => {
            let home = home.context("its folder starts with `~` but HOME is not set")?;
            Ok(home.join(rest))
        }
        Err(_) => Ok(path.to_path_buf()),
    }
}

/// An absolute glob with its literal leading folders replaced by their
/// real path (glob characters in that path escaped).
fn canonical_glob(pattern: &str) -> String {
    let is_glob = |part: &str| part.contains(['*', '?', '[', ']', '{', '}', '\\']);
    let parts: Vec<&str> = pattern.split('/').collect();
    let literal = parts.iter().take_while(|p| !is_glob(p)).count();
    let prefix = parts[..literal].join("/");
    let real = canonical_prefix(Path::new(if prefix.is_empty() { "/" } else { &prefix }));
    let mut out = cowork_core::escape_glob(&real.to_string_lossy());
    for part in &parts[literal..] {
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_through_a_symlinked_folder_names_the_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let pattern = format!("{}/link/tax/**/*.pdf", dir.path().display());
        assert_eq!(
            canonical_glob(&pattern),
            format!("{}/tax/**/*.pdf", real.display())
        );
    }

    #[test]
    fn glob_characters_in_a_real_folder_name_are_escaped() {
        assert_eq!(cowork_core::escape_glob("/a/b[1]*"), "/a/b[[]1[]][*]");
    }

    #[test]
    fn a_relative_rule_folder_or_glob_is_refused_naming_the_fix() {
        let mut rule = Rule {
            action: cowork_protocol::config::RuleAction::Deny,
            tool: None,
            server: None,
            trust_read_only_hint: false,
            effect: None,
            folder: Some(PathBuf::from("private")),
            path: None,
        };
        let err = canonicalize_rule(&mut rule, None).unwrap_err().to_string();
        assert!(err.contains("relative") && err.contains("~/"), "{err}");
        rule.folder = None;
        rule.path = Some("private/*.txt".to_owned());
        let err = canonicalize_rule(&mut rule, None).unwrap_err().to_string();
        assert!(err.contains("relative") && err.contains("**"), "{err}");
    }

    #[test]
    fn a_home_folder_rule_is_expanded_and_made_real() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap().join("realhome");
        std::fs::create_dir_all(real.join("tax")).unwrap();
        let home = dir.path().join("home");
        std::os::unix::fs::symlink(&real, &home).unwrap();
        let mut rule = Rule {
            action: cowork_protocol::config::RuleAction::Deny,
            tool: None,
            server: None,
            trust_read_only_hint: false,
            effect: None,
            folder: Some(PathBuf::from("~/tax")),
            path: Some("~/notes/*.key".to_owned()),
        };
        canonicalize_rule(&mut rule, Some(&home)).unwrap();
        assert_eq!(rule.folder, Some(real.join("tax")));
        assert_eq!(rule.path, Some(format!("{}/notes/*.key", real.display())));
    }
}
