//! `cowork mcp login NAME` and `cowork mcp logout NAME`: signing in to a
//! remote MCP server with OAuth, and forgetting the login.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use cowork_plugins::PluginPaths;
use cowork_plugins::mcp::config::{McpFile, McpServer, RemoteServer};
use cowork_plugins::oauth::{Login, LoginOptions, TokenStore, logout as forget};

use crate::cli_plugins::McpNameArgs;
use crate::safe;

/// Signs in to the remote server `args.name` from the person's
/// `mcp.json`: prints the URL to open (and opens a browser when there is
/// a screen to show it on), waits for the sign-in, keeps the tokens.
pub async fn login(args: &McpNameArgs) -> Result<ExitCode> {
    let paths = crate::plugin_paths::plugin_paths()?;
    let remote = remote_server(&paths, &args.name)?;
    login_to(&paths, &args.name, &remote).await
}

/// Signs in to `remote` under `name` (for servers from plugins, too).
pub async fn login_to(paths: &PluginPaths, name: &str, remote: &RemoteServer) -> Result<ExitCode> {
    let store = TokenStore::new(paths.mcp_dir());
    let login = Login::start(&store, name, remote, &LoginOptions::default())
        .await
        .with_context(|| format!("could not start signing in to `{name}`"))?;
    let url = login.authorization_url().to_owned();
    println!(
        "Open this URL in a browser to sign in to {}:\n\n  {}\n",
        safe::line(name),
        safe::line(&url)
    );
    // The test (and any script) reads the URL before the wait ends.
    let _ = std::io::stdout().flush();
    open_browser(&url);
    eprintln!("Waiting for the sign-in (up to 5 minutes)…");
    let done = login
        .finish()
        .await
        .with_context(|| format!("signing in to `{name}` failed"))?;
    let scopes = done.scope.as_deref().unwrap_or("none asked");
    println!(
        "logged in to {} (scopes {})",
        safe::line(name),
        safe::line(scopes)
    );
    Ok(ExitCode::SUCCESS)
}

/// Forgets `args.name`'s tokens, revoking them at the server when it
/// offers revocation.
pub async fn logout(args: &McpNameArgs) -> Result<ExitCode> {
    let paths = crate::plugin_paths::plugin_paths()?;
    let store = TokenStore::new(paths.mcp_dir());
    let name = safe::line(&args.name);
    let out = forget(&store, &args.name)
        .await
        .with_context(|| format!("could not log out of `{name}`"))?;
    if let Some(error) = out.revoke_error {
        eprintln!(
            "warning: the server did not confirm revoking the login ({}); it is deleted here anyway",
            safe::line(&error.to_string())
        );
    }
    if out.had_login {
        println!("logged out of {name}");
    } else {
        println!("{name} had no login; nothing to do");
    }
    Ok(ExitCode::SUCCESS)
}

/// A browser is opened only for a person at a graphical session; others
/// (ssh, scripts, tests) copy the printed URL.
fn open_browser(url: &str) {
    let graphical = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
    if !(graphical && std::io::stdout().is_terminal()) {
        return;
    }
    let _ = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// The remote server `name` from the person's `mcp.json`.
fn remote_server(paths: &PluginPaths, name: &str) -> Result<RemoteServer> {
    let file = paths.user_mcp_file();
    let shown = safe::path(&file);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::from("{}"),
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    };
    let servers: McpFile =
        serde_json::from_str(&text).with_context(|| format!("{shown} is not valid"))?;
    let shown_name = safe::line(name);
    match servers.servers.get(name) {
        Some(McpServer::Remote(remote)) => Ok(remote.clone()),
        Some(McpServer::Stdio(_)) => bail!(
            "`{shown_name}` is a local server; only remote servers (`--url`) sign in with OAuth"
        ),
        None => bail!(
            "no connector named `{shown_name}` in {shown}; add it with `cowork mcp add {shown_name} --url URL`"
        ),
    }
}

// TODO(lead): replace with h2's `crate::plugin_paths::plugin_paths()` once merged.
