//! Starting and stopping: server.json, the data dir's lock, the port.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use reqwest::Method;

use cowork_server::{Backend, DaemonLock, ServeError, ServeOptions, ServerInfo, serve};

use super::fake::FakeBackend;
use super::harness::{TestServer, client};

#[tokio::test]
async fn server_json_is_owner_only_and_says_where_the_server_is() {
    let t = TestServer::start().await;
    let path = t.dir.path().join("server.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let info = ServerInfo::read(t.dir.path()).unwrap().unwrap();
    assert_eq!(info.port, t.server.port());
    assert_eq!(info.url, format!("http://127.0.0.1:{}/", t.server.port()));
    assert_eq!(info.token, t.server.token());
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.token.len(), 64, "256 bits in hex");
    assert_eq!(
        t.server.login_url(),
        format!("{}?token={}", info.url, info.token)
    );
    // No temp file left beside it.
    let names: Vec<String> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    // What the file says works.
    let response = client()
        .get(format!("{}api/tasks", info.url))
        .bearer_auth(&info.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn shutdown_removes_server_json_and_stops_listening() {
    let t = TestServer::start().await;
    let url = format!("{}api/health", t.server.url());
    t.server.shutdown().await.unwrap();
    assert!(ServerInfo::read(t.dir.path()).unwrap().is_none());
    assert!(client().get(url).send().await.is_err());
}

#[tokio::test]
async fn second_daemon_on_the_same_data_dir_is_refused_and_told_which_pid_runs() {
    let t = TestServer::start().await;
    let error = DaemonLock::acquire(t.dir.path()).unwrap_err();
    match &error {
        ServeError::AlreadyRunning { data_dir, pid } => {
            assert_eq!(data_dir, t.dir.path());
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains(&format!("pid {}", std::process::id()))
    );
    // The running one is untouched.
    assert!(ServerInfo::read(t.dir.path()).unwrap().is_some());
    let dir = t.dir;
    t.server.shutdown().await.unwrap();
    // Once it stops, the next one may start.
    DaemonLock::acquire(dir.path()).unwrap();
}

#[tokio::test]
async fn port_zero_picks_a_free_port_and_a_taken_port_is_a_bind_error() {
    let first = TestServer::start().await;
    assert_ne!(first.server.port(), 0);
    let dir = tempfile::tempdir().unwrap();
    let lock = DaemonLock::acquire(dir.path()).unwrap();
    let taken = ServeOptions {
        port: first.server.port(),
        ..ServeOptions::default()
    };
    let backend = Arc::new(FakeBackend::new()) as Arc<dyn Backend>;
    let error = serve(backend, lock, taken).await.unwrap_err();
    assert!(matches!(error, ServeError::Bind { .. }), "{error:?}");
    assert!(
        ServerInfo::read(dir.path()).unwrap().is_none(),
        "a server that did not start writes no server.json"
    );
}

#[tokio::test]
async fn each_start_has_a_new_token() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    assert_ne!(a.server.token(), b.server.token());
    let health = a
        .anonymous(Method::GET, "/api/health")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn open_page_is_owner_only_leads_to_the_login_link_and_goes_at_shutdown() {
    // `--open` hands the browser this file, not the link: a command line
    // is visible to every user of the machine.
    let mut t = TestServer::start().await;
    let path = t.server.open_page().unwrap().to_path_buf();
    assert_eq!(path, t.dir.path().join(cowork_server::OPEN_PAGE));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let html = std::fs::read_to_string(&path).unwrap();
    let escaped = t.server.login_url().replace('&', "&amp;");
    assert!(
        html.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0;url={escaped}\">"
        )),
        "{html}"
    );
    t.server.shutdown().await.unwrap();
    assert!(!path.exists());
}
