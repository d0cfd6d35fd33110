//! The `cowork` binary: parses arguments, opens the store, and hands each
//! command to its module. User-visible output lives here and nowhere else,
//! and whatever in it came from the model, a file or a command is escaped
//! first ([`safe`]), so none of it can drive the terminal.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the CLI owns the terminal"
)]

mod approve;
mod cli;
mod cli_plugins;
mod cli_projects;
mod cli_schedules;
mod client;
mod config;
mod docs;
mod doctor;
mod exec;
mod export;
mod extensions;
mod home;
mod journal;
mod mcp_cmd;
mod mcp_login;
mod memory_cmd;
mod plugin_cmd;
mod plugin_paths;
mod plugin_validate;
mod project_cmd;
mod remote;
mod render;
mod run;
mod safe;
mod schedule_cmd;
mod schedule_edit;
mod schedule_view;
mod secrets;
mod serve;
mod setup;
mod tasks;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use cowork_store::Store;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors embed paths, model text and server messages.
            eprintln!("error: {}", safe::text(&format!("{e:#}")));
            // Configuration problems (no model, bad flags) exit 2, like
            // usage errors; everything else 1.
            if e.downcast_ref::<setup::SetupError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    // Doctor runs before anything that could fail, to explain failures.
    if let Command::Doctor(args) = &cli.command {
        return doctor::doctor(args);
    }
    // A command in the sandbox needs neither the store nor the config;
    // neither do documents.
    if let Command::Exec(args) = &cli.command {
        return exec::exec(args);
    }
    if let Command::Docs(command) = &cli.command {
        return docs::docs(command);
    }
    // The daemon takes its data dir's lock before it opens the store.
    if let Command::Serve(args) = cli.command {
        return serve::serve(args);
    }
    // Checking a plugin folder needs neither the store nor the config.
    if let Command::Plugin(cli_plugins::PluginCommand::Validate(args)) = &cli.command {
        return plugin_validate::run(args);
    }
    let config = config::load()?;
    let store = Arc::new(open_store()?);
    match cli.command {
        Command::Tasks(args) => tasks::list(&args, &store),
        Command::Show(args) => tasks::show(&args, &store),
        Command::Export(args) => export::export(&args, &store, &config),
        Command::Run(args) => runtime()?.block_on(async {
            match daemon(args.front.local).await? {
                Some(daemon) => remote::run(&daemon, args, &config).await,
                None => {
                    remote::need_daemon(args.detach)?;
                    run::run(args, store, config).await
                }
            }
        }),
        Command::Resume(args) => runtime()?.block_on(run::resume(args, store, config)),
        Command::Attach(args) => runtime()?.block_on(async {
            match daemon(false).await? {
                Some(daemon) => remote::attach(&daemon, &args, &store).await,
                None => Err(remote::no_daemon(&args.id)),
            }
        }),
        Command::Reply(args) => runtime()?.block_on(async {
            match daemon(args.front.local).await? {
                Some(daemon) => remote::reply(&daemon, &args, &store).await,
                None => run::reply(args, store, config).await,
            }
        }),
        Command::Exec(args) => exec::exec(&args),
        Command::Undo(args) => journal::undo(&args, &store),
        Command::Trash(command) => journal::trash(command, &store),
        Command::Gc(args) => journal::gc(&args, &store, &config),
        Command::Doctor(args) => doctor::doctor(&args),
        Command::Docs(command) => docs::docs(&command),
        Command::Serve(args) => serve::serve(args),
        Command::Plugin(command) => plugin_cmd::plugin(command, &config),
        Command::Mcp(command) => runtime()?.block_on(mcp_cmd::mcp(command, &config)),
        Command::Project(command) => project_cmd::project(command, &store),
        Command::Trust(args) => plugin_cmd::trust(&args),
        Command::Memory(command) => memory_cmd::memory(command, &store),
        Command::Schedule(command) => schedule_cmd::schedule(command, &store, &config),
    }
}

fn open_store() -> Result<Store> {
    let path = home::database_path()?;
    let store = Store::open(&path)?;
    // Tasks whose process died show as interrupted from now on.
    store.reap_interrupted().with_context(|| {
        format!(
            "could not check for interrupted tasks in {}",
            path.display()
        )
    })?;
    Ok(store)
}

/// The daemon to hand tasks to, unless `local` asks for this process.
async fn daemon(local: bool) -> Result<Option<client::Daemon>> {
    if local {
        return Ok(None);
    }
    Ok(client::Daemon::find(&home::data_dir()?).await)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// Logs go to stderr, off unless `COWORK_LOG` (e.g. `debug`) asks.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COWORK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
