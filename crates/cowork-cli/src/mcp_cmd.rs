//! `cowork mcp …`: add, list, remove and test connectors, and sign in to
//! remote ones.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use cowork_plugins::PluginPaths;
use cowork_plugins::host::Catalog;
use cowork_plugins::mcp::config::{McpServer, RemoteKind, RemoteServer, StdioServer};
use cowork_plugins::mcp::listing::ListedServer;
use cowork_plugins::mcp::user_file::{self, Added};
use cowork_plugins::mcp::{connect, render, status_of};
use cowork_protocol::config::Config;

use crate::cli_plugins::{McpAddArgs, McpCommand};

/// The person's own connectors are `user`; plugins' come from the caller.
const USER: &str = "user";

/// `cowork mcp …`. `list` and `test` cover the connectors of enabled
/// plugins too; `add` and `remove` touch only the person's own.
pub async fn mcp(command: McpCommand, config: &Config) -> Result<ExitCode> {
    let paths = crate::plugin_paths::plugin_paths()?;
    match command {
        McpCommand::Add(args) => add(&paths, args),
        McpCommand::List(args) => list(&paths, args.json),
        McpCommand::Remove(args) => remove(&paths, &plugin_servers(&paths)?, &args.name),
        McpCommand::Test(args) => test(config, &args.name).await,
        McpCommand::Login(args) => crate::mcp_login::login(&args, config).await,
        McpCommand::Logout(args) => crate::mcp_login::logout(&args).await,
    }
}

/// Every connector a task would get (the person's own, then enabled
/// plugins'), named as tasks see them.
fn all_servers(paths: &PluginPaths) -> Result<Vec<ListedServer>> {
    Ok(Catalog::load(paths)?
        .servers
        .into_iter()
        .map(|s| ListedServer {
            name: s.name,
            source: s.source,
            server: s.config,
        })
        .collect())
}

/// The connectors enabled plugins bring, named as tasks see them.
fn plugin_servers(paths: &PluginPaths) -> Result<Vec<ListedServer>> {
    Ok(all_servers(paths)?
        .into_iter()
        .filter(|s| s.source != USER)
        .collect())
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
fn list(paths: &PluginPaths, json: bool) -> Result<ExitCode> {
    let all = all_servers(paths)?;
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

async fn test(config: &Config, name: &str) -> Result<ExitCode> {
    let host = crate::extensions::host(config, cowork_core::SandboxChoice::Auto)?;
    let catalog = Catalog::load(&host.setup().paths)?;
    let Some(server) = catalog.servers.iter().find(|s| s.name == name) else {
        bail!("there is no connector named {name}; `cowork mcp list` shows them");
    };
    let resolved = match host.resolve(&catalog, server) {
        Ok(resolved) => resolved,
        Err(status) => {
            writeln!(
                std::io::stderr().lock(),
                "{}",
                crate::render::connector_line(name, &status)
            )?;
            return Ok(ExitCode::from(1));
        }
    };
    let options = host.connect_options();
    let conn = match connect(name, &resolved, &options).await {
        Ok(conn) => conn,
        Err(e) => {
            writeln!(
                std::io::stderr().lock(),
                "{}",
                crate::render::connector_line(name, &status_of(&e))
            )?;
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
