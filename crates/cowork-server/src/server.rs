//! Starting and stopping the daemon's HTTP server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Auth;
use crate::backend::Backend;
use crate::lock::DaemonLock;
use crate::secret::Secret;
use crate::server_file::{PrivateFile, ServerInfo};

/// The port `cowork serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 4680;
/// The page `--open` hands the browser, in the data dir.
pub const OPEN_PAGE: &str = "open.html";
/// How long open connections (watching browsers) get to finish after a
/// shutdown before they are cut.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Where to listen.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// 127.0.0.1 unless the person asked for another address, knowing
    /// that anyone on that network who gets the token can act as them.
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// What the web UI's export and folder trust need from the front.
    pub hand_ins: crate::hand_ins::HandIns,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            hand_ins: crate::hand_ins::HandIns::default(),
        }
    }
}

/// Why the server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another daemon serves this data dir; stop it first (or use it).
    #[error("a cowork daemon already runs for {}{}", data_dir.display(), pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    AlreadyRunning { data_dir: PathBuf, pid: Option<u32> },
    /// The address is taken or not ours: pick another port or host.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The OS gave no randomness for the token.
    #[error("could not generate a token: {0}")]
    Random(getrandom::Error),
    /// A file in the data dir could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `server.json` is not what a daemon writes; delete it.
    #[error("{} is not a server file: {reason}", path.display())]
    BadServerFile { path: PathBuf, reason: String },
}

/// Resolves when the server shuts down. Put in every request's extensions,
/// so a stream that would stay open for ever (SSE) can end with it.
#[derive(Debug, Clone)]
pub struct ShutdownSignal(watch::Receiver<bool>);

impl ShutdownSignal {
    pub async fn wait(mut self) {
        // An error means the server is gone: shut down as well.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

/// A server that is listening. Dropping it stops it too (without waiting)
/// and removes `server.json`; [`RunningServer::shutdown`] waits.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    info: ServerInfo,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    // Dropped after the task ends: server.json goes, then the lock.
    file: PrivateFile,
    open_page: Option<PrivateFile>,
    lock: DaemonLock,
}

/// Binds, writes `server.json` and serves `backend` until shut down.
///
/// Take `lock` first ([`DaemonLock::acquire`]), before building the
/// backend, so a second daemon is refused before it resumes any task.
pub async fn serve(
    backend: Arc<dyn Backend>,
    lock: DaemonLock,
    options: ServeOptions,
) -> Result<RunningServer, ServeError> {
    let requested = SocketAddr::new(options.host, options.port);
    let listener = tokio::net::TcpListener::bind(requested)
        .await
        .map_err(|source| ServeError::Bind {
            addr: requested,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: requested,
        source,
    })?;
    let token = Secret::generate().map_err(ServeError::Random)?;
    let auth = Arc::new(Auth::new(token.clone(), options.host, addr.port()));
    let (stop, stopped) = watch::channel(false);
    let app = crate::app(
        backend,
        options.hand_ins,
        auth,
        ShutdownSignal(stopped.clone()),
    );

    let info = ServerInfo {
        url: base_url(options.host, addr.port()),
        port: addr.port(),
        token: token.expose().to_owned(),
        pid: std::process::id(),
    };
    let file = PrivateFile::server_json(lock.data_dir(), &info)?;

    let graceful = ShutdownSignal(stopped);
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(graceful.clone().wait());
        let server = std::pin::pin!(server.into_future());
        // Graceful shutdown waits for open connections; a keep-alive one
        // from a browser must not hold the daemon up for long.
        tokio::select! {
            result = server => result,
            () = async {
                graceful.wait().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => Ok(()),
        }
    });
    tracing::info!(%addr, "serving");
    Ok(RunningServer {
        addr,
        info,
        stop,
        task,
        file,
        open_page: None,
        lock,
    })
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The base URL, e.g. `http://127.0.0.1:4680/`.
    pub fn url(&self) -> &str {
        &self.info.url
    }

    pub fn token(&self) -> &str {
        &self.info.token
    }

    /// The link that signs a browser in: the base URL with `?token=`.
    pub fn login_url(&self) -> String {
        format!("{}?token={}", self.info.url, self.info.token)
    }

    /// What `server.json` says.
    pub fn info(&self) -> &ServerInfo {
        &self.info
    }

    pub fn server_file(&self) -> &std::path::Path {
        self.file.path()
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.lock.data_dir()
    }

    /// Writes `<data dir>/open.html` (mode 0600), a page that sends the
    /// browser on to [`RunningServer::login_url`], and returns its path.
    /// Hand this path to a browser rather than the link itself: a command
    /// line is visible to every user of the machine, the file only to its
    /// owner. Removed at shutdown.
    pub fn open_page(&mut self) -> Result<&std::path::Path, ServeError> {
        let url = crate::login::escape(&self.login_url());
        let html = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"refresh\" content=\"0;url={url}\">\n<title>cowork</title>\n</head>\n\
<body>\n<p><a href=\"{url}\">Open cowork</a></p>\n</body>\n</html>\n"
        );
        let path = self.lock.data_dir().join(OPEN_PAGE);
        let page = self
            .open_page
            .insert(PrivateFile::write(&path, html.as_bytes())?);
        Ok(page.path())
    }

    /// Stops accepting, ends event streams, waits for open requests (a
    /// few seconds at most), removes `server.json` and releases the lock.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let result = match self.task.await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(format!(
                "the server stopped unexpectedly: {e}"
            ))),
        };
        drop(self.open_page);
        drop(self.file);
        drop(self.lock);
        result
    }
}

/// The URL clients on this machine use: loopback when listening on every
/// interface (it reaches the server and needs no name).
fn base_url(host: IpAddr, port: u16) -> String {
    match host {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("http://127.0.0.1:{port}/"),
        IpAddr::V6(ip) if ip.is_unspecified() => format!("http://[::1]:{port}/"),
        IpAddr::V4(ip) => format!("http://{ip}:{port}/"),
        IpAddr::V6(ip) => format!("http://[{ip}]:{port}/"),
    }
}
