//! A server on a free port over a fake backend, and a client for it.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, RequestBuilder, Response};

use cowork_protocol::TaskId;
use cowork_server::backend::NewTask;
use cowork_server::{Backend, DaemonLock, RunningServer, ServeOptions, serve};

use super::fake::FakeBackend;

pub struct TestServer {
    pub server: RunningServer,
    pub backend: Arc<FakeBackend>,
    pub client: Client,
    pub dir: tempfile::TempDir,
}

/// A browser session: its cookie (`name=value`) and its CSRF token.
pub struct BrowserSession {
    pub cookie: String,
    pub csrf: String,
}

pub fn client() -> Client {
    Client::builder()
        // The redirect and its Set-Cookie are what tests look at.
        .redirect(reqwest::redirect::Policy::none())
        // Hermetic: never a proxy from the environment.
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(FakeBackend::new());
        let lock = DaemonLock::acquire(dir.path()).unwrap();
        let options = ServeOptions {
            port: 0,
            ..ServeOptions::default()
        };
        let server = serve(backend.clone() as Arc<dyn Backend>, lock, options)
            .await
            .unwrap();
        Self {
            server,
            backend,
            client: client(),
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.server.port())
    }

    /// A request with no credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with the bearer token.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path)
            .bearer_auth(self.server.token())
    }

    /// A request signed in by `session`'s cookie, without its CSRF token.
    pub fn browser(&self, session: &BrowserSession, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path)
            .header(reqwest::header::COOKIE, &session.cookie)
    }

    /// Signs in as a browser does: opens the token link, keeps the cookie,
    /// reads the session's CSRF token.
    pub async fn sign_in(&self) -> BrowserSession {
        let response = self
            .anonymous(Method::GET, &format!("/?token={}", self.server.token()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let cookie = set_cookie(&response).split(';').next().unwrap().to_owned();
        let session: serde_json::Value = self
            .anonymous(Method::GET, "/api/session")
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        BrowserSession {
            cookie,
            csrf: session["csrf"].as_str().unwrap().to_owned(),
        }
    }

    pub fn new_task(&self, prompt: &str) -> TaskId {
        self.backend
            .create_task(NewTask {
                prompt: prompt.into(),
                folders: Vec::new(),
                mode: None,
                model: None,
                provider: None,
                base_url: None,
                script: None,
                max_turns: None,
                max_tokens: None,
                timeout_secs: None,
                assume_yes: false,
                sandbox: None,
                allow_net: Vec::new(),
                project: None,
            })
            .unwrap()
    }
}

pub fn set_cookie(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

pub async fn error_message(response: Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

impl TestServer {
    /// Sends `head` (request line and headers, without the blank line) as
    /// written, for what a URL parser would normalise away; returns the
    /// response's head.
    pub async fn raw(&self, head: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.server.addr())
            .await
            .unwrap();
        stream
            .write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
    }
}
