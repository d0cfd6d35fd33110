//! `cowork serve`: the daemon. It takes the data dir's lock, starts the
//! task manager (which resumes what a stopped daemon left running), serves
//! the API and the web UI, and on SIGTERM or Ctrl-C stops cleanly.
//! `--install` / `--uninstall` manage it as a systemd user service
//! ([`unit`]); `--link` prints a running daemon's sign-in link.

mod unit;

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use cowork_plugins::trust::FolderTrust;
use cowork_protocol::config::Config;
use cowork_server::hand_ins::{
    ExportSetup, FolderTrustControl, HandInError, HandIns, SecretSource,
};
use cowork_server::{DaemonLock, RunningServer, ServeError, ServeOptions, ServerInfo};
use cowork_store::Store;

use crate::cli::ServeArgs;
use crate::{config, home, safe};

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    if args.install {
        return unit::install(&args);
    }
    if args.uninstall {
        return unit::uninstall(&args);
    }
    if args.dry_run || args.unit_dir.is_some() {
        bail!("--dry-run and --unit-dir go with --install or --uninstall");
    }
    let data_dir = home::data_dir()?;
    if args.link {
        return link(&data_dir);
    }
    let config = config::load()?;
    // Before the store: tasks a dead daemon left are reaped and resumed
    // only by the one daemon that holds the lock.
    let lock = DaemonLock::acquire(&data_dir).map_err(|e| explain(e, args.port))?;
    let store = Arc::new(crate::open_store()?);
    crate::runtime()?.block_on(run(args, config, lock, store))
}

async fn run(
    args: ServeArgs,
    config: Config,
    lock: DaemonLock,
    store: Arc<Store>,
) -> Result<ExitCode> {
    let host = args.host.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if !host.is_loopback() {
        eprintln!(
            "WARNING: listening on {host}, not only on this machine. Anyone on that network \
who gets the token can act as you: run tasks on your folders, read what they read."
        );
    }
    let data_dir = lock.data_dir().to_path_buf();
    let hand_ins = hand_ins(&config, &data_dir)?;
    let manager = start_task_manager(
        data_dir.clone(),
        config,
        store,
        usize::try_from(args.max_tasks).unwrap_or(1),
    )?;
    let options = ServeOptions {
        host,
        port: args.port,
        hand_ins,
    };
    let mut server = cowork_server::serve(manager.clone(), lock, options)
        .await
        .map_err(|e| explain(e, args.port))?;
    println!(
        "cowork serves {} (data: {})",
        server.url(),
        safe::path(&data_dir)
    );
    if std::io::stdout().is_terminal() {
        println!("Sign in: {}", server.login_url());
    } else {
        // A service's output ends up in logs; the token stays out of them.
        println!("Sign in with the link `cowork serve --link` prints.");
    }
    if args.open {
        open_browser(&mut server)?;
    }
    wait_for_stop().await?;
    eprintln!("stopping…");
    // Running tasks stay recorded as running under this process; the next
    // `cowork serve` resumes them from their logs.
    manager.shutdown();
    server
        .shutdown()
        .await
        .context("the server did not stop cleanly")?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon's task manager: the backend every request goes to. It runs
/// tasks in the background, at most `max_tasks` at once, and resumes the
/// ones a stopped daemon left running.
fn start_task_manager(
    data_dir: PathBuf,
    config: Config,
    store: Arc<Store>,
    max_tasks: usize,
) -> Result<Arc<cowork_server::daemon::TaskManager>> {
    let host = crate::extensions::host(&config, cowork_core::SandboxChoice::Auto)?;
    // The daemon's tasks come one after another (schedules, follow-ups):
    // a connector started for one stays up a while for the next.
    host.share_connections(cowork_plugins::mcp::DEFAULT_IDLE);
    // Plugins the administrator requires or installs by default are
    // installed now, so no task waits on git for them.
    match cowork_plugins::marketplace::install::apply_policy(&host.setup().paths) {
        Ok(_) => {}
        Err(e) => eprintln!("warning: the administrator's plugins could not be installed: {e}"),
    }
    let notifier = cowork_server::notify::Notifier::from_config(
        &config.notifications,
        std::env::var_os("PATH"),
    );
    let manager = cowork_server::daemon::TaskManager::start(cowork_server::daemon::DaemonSetup {
        store,
        data_dir,
        config_location: config::config_location(),
        config,
        max_tasks,
        extensions: Some(host),
        notifier: Some(Arc::new(notifier)),
        clock: Arc::new(cowork_server::daemon::SystemClock::new()),
        schedule_poll: cowork_server::daemon::SCHEDULE_POLL,
    })?;
    Ok(manager)
}

/// What the web UI's export and trust button need from this CLI: the
/// secrets `cowork export` redacts, the paths its tasks do not see, and
/// the folder trust `cowork trust` records.
fn hand_ins(config: &Config, data_dir: &Path) -> Result<HandIns> {
    let own = config::own_paths()?;
    let export = ExportSetup {
        secrets: Arc::new(CliSecrets {
            config: config.clone(),
        }),
        hidden: cowork_core::hidden_paths(&config.rules),
        reserved: own.reserved(),
        journal_dir: Some(data_dir.to_path_buf()),
    };
    Ok(HandIns {
        export: Some(export),
        trust: Some(Arc::new(CliFolderTrust {
            paths: crate::plugin_paths::plugin_paths()?,
        })),
    })
}

/// [`crate::secrets::gather`], afresh for each export.
struct CliSecrets {
    config: Config,
}

impl SecretSource for CliSecrets {
    fn secrets(&self) -> Vec<String> {
        crate::secrets::gather(&self.config)
    }
}

/// The trust file `cowork trust` writes and the daemon's tasks read.
struct CliFolderTrust {
    paths: cowork_plugins::PluginPaths,
}

impl FolderTrustControl for CliFolderTrust {
    fn answer(&self, folder: &Path) -> Result<Option<bool>, HandInError> {
        let file = FolderTrust::file(&self.paths.plugins_dir());
        Ok(FolderTrust::load(&file)?.answer(folder))
    }

    fn set(&self, folder: &Path, trusted: bool) -> Result<(), HandInError> {
        crate::plugin_cmd::record_trust(&self.paths, folder, trusted)
            .map(drop)
            .map_err(|e| format!("{e:#}").into())
    }
}

/// Words a server error for this front: which flag or command fixes it.
fn explain(error: ServeError, port: u16) -> anyhow::Error {
    let hint = match &error {
        ServeError::AlreadyRunning { pid, .. } => {
            let stop = pid.map_or_else(
                || "stop it".to_owned(),
                |pid| format!("stop it (`systemctl --user stop cowork` if installed as a service, else `kill {pid}`)"),
            );
            format!("{stop}, or use it: `cowork serve --link` prints its sign-in link")
        }
        ServeError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
            format!(
                "port {port} is taken; pick another with --port N, or --port 0 for any free one"
            )
        }
        ServeError::Bind { .. } => "check --host: it must be an address of this machine".to_owned(),
        ServeError::Random(_) | ServeError::Io { .. } | ServeError::BadServerFile { .. } => {
            return anyhow::Error::new(error);
        }
    };
    anyhow::Error::new(error).context(hint)
}

/// `--link`: the running daemon's sign-in link, from `server.json`.
fn link(data_dir: &Path) -> Result<ExitCode> {
    let shown = safe::path(data_dir);
    let Some(info) = ServerInfo::read(data_dir)? else {
        bail!("no cowork daemon runs for {shown}: start one with `cowork serve`");
    };
    if !Path::new(&format!("/proc/{}", info.pid)).exists() {
        bail!(
            "the daemon that wrote {shown}/server.json (pid {}) is gone: start one with `cowork serve`",
            info.pid
        );
    }
    println!("{}?token={}", info.url, info.token);
    Ok(ExitCode::SUCCESS)
}

/// Opens the web UI through a page only this user can read: the link
/// itself carries the token, and a command line is visible to every user
/// of the machine.
fn open_browser(server: &mut RunningServer) -> Result<()> {
    let page = server.open_page()?.to_path_buf();
    let Some(opener) = find_program("xdg-open") else {
        println!(
            "No xdg-open here: open file://{} (or the sign-in link) in your browser.",
            safe::path(&page)
        );
        return Ok(());
    };
    let mut child = std::process::Command::new(opener)
        .arg(&page)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("could not run xdg-open")?;
    // Some openers wait for the browser; reap it whenever it ends.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// `name` in a directory of `PATH`, if there is one.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// SIGTERM (systemd stopping the service) or Ctrl-C.
async fn wait_for_stop() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("cannot watch for Ctrl-C")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
