//! `cowork mcp …`: add, list, remove and test connectors, and sign in to
//! remote ones.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use cowork_plugins::PluginPaths;
use cowork_plugins::mcp::config::{McpServer, RemoteKind, RemoteServer, StdioServer};
use cowork_plugins::mcp::listing::ListedServer;
use cowork_plugins::mcp::user_file::{self, Added};
use cowork_plugins::mcp::{ConnectOptions, ResolvedServer, connect, render, status_of};
use cowork_protocol::ConnectorStatus;
use cowork_protocol::config::Config;

use crate::cli_plugins::{McpAddArgs, McpCommand};

/// The person's own connectors are `user`; plugins' come from the caller.
const USER: &str = "user";

pub async fn mcp(command: McpCommand, config: &Config) -> Result<ExitCode> {
    mcp_with(command, config, Vec::new()).await
}

/// `cowork mcp …` with `plugins`: the connectors of enabled plugins (their
/// `source` the plugin's name), which `list` shows and `test` can reach
/// but `add` and `remove` never touch.
pub async fn mcp_with(
    command: McpCommand,
    _config: &Config,
    plugins: Vec<ListedServer>,
) -> Result<ExitCode> {
    let paths = crate::plugin_paths::plugin_paths()?;
    match command {
        McpCommand::Add(args) => add(&paths, args),
        McpCommand::List(args) => list(&paths, plugins, args.json),
        McpCommand::Remove(args) => remove(&paths, &plugins, &args.name),
        McpCommand::Test(args) => test(&paths, plugins, &args.name).await,
        McpCommand::Login(args) => crate::mcp_login::login(&args).await,
        McpCommand::Logout(args) => crate::mcp_login::logout(&args).await,
    }
}

fn add(paths: &PluginPaths, args: McpAddArgs) -> Result<ExitCode> {
    let server = server_of(&args)?;
    let file = paths.user_mcp_file();
    let added = user_file::add(&file, &args.name, &server)?;
    let mut out = std::io::stdout().lock();
    match added {
        Added::New => writeln!(out, "Added connector {} to {}", args.name, file.display())?,
        Added::Unchanged => writeln!(out, "Connector {} is already configured so", args.name)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration `cowork mcp add` describes, as `claude mcp add` reads
/// its arguments.
fn server_of(args: &McpAddArgs) -> Result<McpServer> {
    if let Some(url) = &args.url {
        if !args.env.is_empty() {
            bail!("--env is for local servers; a remote server takes --header \"Name: value\"");
        }
        let parsed = reqwest::Url::parse(url)
            .with_context(|| format!("`{url}` is not a URL (expected https://host/path)"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("`{url}` is not an http(s) URL");
        }
        let kind = match args.transport.as_deref() {
            Some("http") => RemoteKind::Http,
            Some("sse") => RemoteKind::Sse,
            Some(other) => bail!("--transport must be `http` or `sse`, not `{other}`"),
            None if parsed.path().trim_end_matches('/').ends_with("/sse") => RemoteKind::Sse,
            None => RemoteKind::Http,
        };
        let mut headers = BTreeMap::new();
        for header in &args.headers {
            let Some((name, value)) = header.split_once(':') else {
                bail!("--header `{header}` is not `Name: value`");
            };
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                bail!("--header `{header}` has no valid name before its `:`");
            }
            headers.insert(name.to_owned(), value.trim().to_owned());
        }
        return Ok(McpServer::Remote(RemoteServer {
            kind,
            url: url.clone(),
            headers,
            oauth: None,
        }));
    }
    let Some((command, rest)) = args.command.split_first() else {
        bail!(
            "say how to reach the server: `cowork mcp add {} -- COMMAND [ARGS…]` for a local one, or `--url URL` for a remote one",
            args.name
        );
    };
    let mut env = BTreeMap::new();
    for pair in &args.env {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--env `{pair}` is not `KEY=VALUE`");
        };
        if key.is_empty() {
            bail!("--env `{pair}` has no name before its `=`");
        }
        env.insert(key.to_owned(), value.to_owned());
    }
    Ok(McpServer::Stdio(StdioServer {
        kind: None,
        command: command.clone(),
        args: rest.to_vec(),
        env,
    }))
}

/// The person's connectors, then the plugins'.
fn all_servers(paths: &PluginPaths, plugins: Vec<ListedServer>) -> Result<Vec<ListedServer>> {
    let mut all: Vec<ListedServer> = user_file::read(&paths.user_mcp_file())?
        .servers
        .into_iter()
        .map(|(name, server)| ListedServer {
            name,
            source: USER.to_owned(),
            server,
        })
        .collect();
    all.extend(plugins);
    Ok(all)
}

fn list(paths: &PluginPaths, plugins: Vec<ListedServer>, json: bool) -> Result<ExitCode> {
    let all = all_servers(paths, plugins)?;
    let mut out = std::io::stdout().lock();
    if json {
        for server in &all {
            writeln!(out, "{}", server.to_json())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        writeln!(
            out,
            "No connectors. Add one with `cowork mcp add NAME -- COMMAND [ARGS…]` or `cowork mcp add NAME --url URL`."
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let width = |f: &dyn Fn(&ListedServer) -> usize, title: &str| {
        all.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let name_w = width(&|s| s.name.chars().count(), "NAME");
    let source_w = width(&|s| s.source.chars().count(), "SOURCE");
    writeln!(
        out,
        "{:name_w$}  {:source_w$}  {:9}  TARGET",
        "NAME", "SOURCE", "TRANSPORT"
    )?;
    for server in &all {
        writeln!(
            out,
            "{:name_w$}  {:source_w$}  {:9}  {}",
            server.name,
            server.source,
            server.transport(),
            server.target()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(paths: &PluginPaths, plugins: &[ListedServer], name: &str) -> Result<ExitCode> {
    let file = paths.user_mcp_file();
    if user_file::remove(&file, name)? {
        writeln!(std::io::stdout().lock(), "Removed connector {name}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(plugin) = plugins.iter().find(|p| p.name == name) {
        bail!(
            "the connector {name} comes with the plugin {}; disable the plugin instead (`cowork plugin disable {}`)",
            plugin.source,
            plugin.source
        );
    }
    bail!("there is no connector named {name} in {}", file.display())
}

async fn test(paths: &PluginPaths, plugins: Vec<ListedServer>, name: &str) -> Result<ExitCode> {
    let all = all_servers(paths, plugins)?;
    let Some(listed) = all.into_iter().find(|s| s.name == name) else {
        bail!("there is no connector named {name}; `cowork mcp list` shows them");
    };
    let resolved = ResolvedServer::new(expand_server(listed.server, &|var| {
        std::env::var(var).ok()
    })?);
    let options = ConnectOptions::default();
    let conn = match connect(name, &resolved, &options).await {
        Ok(conn) => conn,
        Err(e) => {
            let status = status_of(&e);
            let fix = match &status {
                ConnectorStatus::NeedsLogin => format!(" — run `cowork mcp login {name}`"),
                ConnectorStatus::Connected { .. }
                | ConnectorStatus::Unreachable { .. }
                | ConnectorStatus::Blocked { .. }
                | ConnectorStatus::Restarting { .. } => String::new(),
            };
            writeln!(std::io::stderr().lock(), "{name}: {status}{fix}")?;
            return Ok(ExitCode::from(1));
        }
    };
    let summary = conn.summary();
    let tools = conn
        .list_tools()
        .await
        .with_context(|| format!("{name} connected but listing its tools failed"))?;
    let (resources, prompts) = conn
        .counts()
        .await
        .with_context(|| format!("{name} connected but listing its resources or prompts failed"))?;
    conn.close().await;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{name}: connected to {} {} (protocol {}) over {}",
        summary.name,
        summary.version,
        summary.protocol,
        resolved.transport()
    )?;
    writeln!(out, "Tools ({}):", tools.len())?;
    for tool in &tools {
        let description = tool
            .description
            .as_deref()
            .map(render::first_line)
            .unwrap_or("");
        writeln!(out, "  {} — {description}", tool.name)?;
    }
    writeln!(out, "Resources: {resources}  Prompts: {prompts}")?;
    Ok(ExitCode::SUCCESS)
}

/// `server` with `${VAR}` and `${VAR:-default}` expanded from `lookup` in
/// its command, arguments, env, URL and headers. A variable that is
/// neither set nor defaulted is an error naming it.
fn expand_server(server: McpServer, lookup: &dyn Fn(&str) -> Option<String>) -> Result<McpServer> {
    let x = |s: &str| expand(s, lookup);
    Ok(match server {
        McpServer::Stdio(stdio) => McpServer::Stdio(StdioServer {
            kind: stdio.kind,
            command: x(&stdio.command)?,
            args: stdio.args.iter().map(|a| x(a)).collect::<Result<_>>()?,
            env: stdio
                .env
                .iter()
                .map(|(k, v)| Ok((k.clone(), x(v)?)))
                .collect::<Result<_>>()?,
        }),
        McpServer::Remote(remote) => McpServer::Remote(RemoteServer {
            kind: remote.kind,
            url: x(&remote.url)?,
            headers: remote
                .headers
                .iter()
                .map(|(k, v)| Ok((k.clone(), x(v)?)))
                .collect::<Result<_>>()?,
            oauth: remote.oauth,
        }),
    })
}

fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            bail!("`{text}` has a `${{` without its closing `}}`");
        };
        let inner = &rest[start + 2..start + end];
        let (var, default) = match inner.split_once(":-") {
            Some((var, default)) => (var, Some(default)),
            None => (inner, None),
        };
        match (lookup(var), default) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => bail!(
                "the connector needs the environment variable {var}, which is not set (or give it a default: ${{{var}:-value}})"
            ),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_with_defaults_and_an_unset_one_is_named() {
        let lookup = |v: &str| (v == "HOME").then(|| "/home/p".to_owned());
        assert_eq!(expand("${HOME}/x", &lookup).unwrap(), "/home/p/x");
        assert_eq!(expand("${PORT:-3000}", &lookup).unwrap(), "3000");
        assert_eq!(expand("plain", &lookup).unwrap(), "plain");
        let error = expand("Bearer ${TOKEN}", &lookup).unwrap_err().to_string();
        assert!(error.contains("TOKEN, which is not set"), "{error}");
    }
}
