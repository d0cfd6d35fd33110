//! `cowork mcp login NAME` and `cowork mcp logout NAME`: signing in to a
//! remote MCP server with OAuth, and forgetting the login.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use cowork_plugins::PluginPaths;
use cowork_plugins::host::Catalog;
use cowork_plugins::mcp::config::{McpServer, RemoteServer};
use cowork_plugins::oauth::{Login, LoginOptions, TokenStore, logout as forget};
use cowork_protocol::config::Config;

use crate::cli_plugins::McpNameArgs;
use crate::safe;

/// Signs in to the remote server `args.name` from the person's
/// `mcp.json`: prints the URL to open (and opens a browser when there is
/// a screen to show it on), waits for the sign-in, keeps the tokens.
pub async fn login(args: &McpNameArgs, config: &Config) -> Result<ExitCode> {
    let paths = crate::plugin_paths::plugin_paths()?;
    let remote = remote_server(config, &args.name)?;
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
/// The remote connector `name` (the person's own or an enabled plugin's)
/// as tasks reach it: `${…}` expanded, the policy applied.
fn remote_server(config: &Config, name: &str) -> Result<RemoteServer> {
    let host = crate::extensions::host(config, cowork_core::SandboxChoice::Auto)?;
    let catalog = Catalog::load(&host.setup().paths)?;
    let shown_name = safe::line(name);
    let Some(server) = catalog.servers.iter().find(|s| s.name == name) else {
        bail!(
            "no connector named `{shown_name}`; add it with `cowork mcp add {shown_name} --url URL` \
             (`cowork mcp list` shows the connectors there are)"
        );
    };
    let resolved = host
        .resolve(&catalog, server)
        .map_err(|status| anyhow::anyhow!("{}", crate::render::connector_line(name, &status)))?;
    match resolved.config {
        McpServer::Remote(remote) => Ok(remote),
        McpServer::Stdio(_) => bail!(
            "`{shown_name}` is a local server; only remote servers (`--url`) sign in with OAuth"
        ),
    }
}
