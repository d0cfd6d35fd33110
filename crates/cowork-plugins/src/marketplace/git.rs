//! The system `git`, run without a shell and without prompts: a
//! marketplace that needs credentials fails with git's message instead of
//! waiting on a terminal nobody watches.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use super::MarketError;

fn run<I, S>(dir: Option<&Path>, args: I, url: &str) -> Result<String, MarketError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    command
        .args(&args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    let output = command.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => MarketError::GitMissing {
            url: url.to_owned(),
        },
        _ => MarketError::Io {
            action: "run git for",
            path: url.into(),
            source: e,
        },
    })?;
    if !output.status.success() {
        let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
        return Err(MarketError::Git {
            command: shown.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A shallow clone of `url` (at `git_ref` when given) into `dest`, which
/// must not exist.
pub(crate) fn clone(url: &str, git_ref: Option<&str>, dest: &Path) -> Result<(), MarketError> {
    let mut args: Vec<&OsStr> = vec![
        "clone".as_ref(),
        "--quiet".as_ref(),
        "--depth".as_ref(),
        "1".as_ref(),
    ];
    if let Some(git_ref) = git_ref {
        args.extend::<[&OsStr; 2]>(["--branch".as_ref(), git_ref.as_ref()]);
    }
    // `--` so a URL can never be read as an option.
    args.extend::<[&OsStr; 3]>(["--".as_ref(), url.as_ref(), dest.as_os_str()]);
    run(None, args, url).map(drop)
}

/// `url` at exactly commit `sha` in `dest` (which must not exist),
/// verified: a repository that gives another commit is refused.
pub(crate) fn checkout_commit(
    url: &str,
    git_ref: Option<&str>,
    sha: &str,
    dest: &Path,
) -> Result<(), MarketError> {
    // Fetching one commit by hash is cheapest; servers that refuse it get
    // the full history of the ref instead.
    let fetched = run(
        None,
        [OsStr::new("init"), OsStr::new("--quiet"), dest.as_os_str()],
        url,
    )
    .and_then(|_| {
        run(
            Some(dest),
            ["fetch", "--quiet", "--depth", "1", "--", url, sha],
            url,
        )
    })
    .and_then(|_| {
        run(
            Some(dest),
            ["checkout", "--quiet", "--detach", "FETCH_HEAD"],
            url,
        )
    });
    if fetched.is_err() {
        std::fs::remove_dir_all(dest).map_err(MarketError::io("remove", dest))?;
        let mut args: Vec<&OsStr> = vec!["clone".as_ref(), "--quiet".as_ref()];
        if let Some(git_ref) = git_ref {
            args.extend::<[&OsStr; 2]>(["--branch".as_ref(), git_ref.as_ref()]);
        }
        args.extend::<[&OsStr; 3]>(["--".as_ref(), url.as_ref(), dest.as_os_str()]);
        run(None, args, url)?;
        run(Some(dest), ["checkout", "--quiet", "--detach", sha], url)?;
    }
    let got = head(dest, url)?;
    if !got.starts_with(&sha.to_ascii_lowercase()) {
        return Err(MarketError::ShaMismatch {
            url: url.to_owned(),
            want: sha.to_owned(),
            got,
        });
    }
    Ok(())
}

/// The commit checked out in `dir`.
pub(crate) fn head(dir: &Path, url: &str) -> Result<String, MarketError> {
    run(Some(dir), ["rev-parse", "HEAD"], url)
}

/// Brings a clone to the newest commit of `git_ref` (or the remote's
/// default branch), dropping anything changed locally.
pub(crate) fn update(dir: &Path, url: &str, git_ref: Option<&str>) -> Result<(), MarketError> {
    run(
        Some(dir),
        [
            "fetch",
            "--quiet",
            "--depth",
            "1",
            "origin",
            git_ref.unwrap_or("HEAD"),
        ],
        url,
    )?;
    run(Some(dir), ["reset", "--quiet", "--hard", "FETCH_HEAD"], url).map(drop)
}
