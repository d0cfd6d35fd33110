//! The daemon's task manager (real store, temp dir) served with what
//! `cowork serve` hands in, for the pages that need the store: memory,
//! notices, export, folder trust. Requests go with the bearer token, or
//! as a signed-in browser (cookie and CSRF token).

use std::sync::Arc;

use reqwest::{Method, RequestBuilder};

use cowork_protocol::config::Config;
use cowork_server::daemon::TaskManager;
use cowork_server::hand_ins::HandIns;
use cowork_server::{Backend, DaemonLock, RunningServer, ServeOptions, serve};
use cowork_store::Store;

use super::daemon_support::Place;
use super::harness::{BrowserSession, client, set_cookie};

pub struct Served {
    pub place: Place,
    pub server: RunningServer,
    pub manager: Arc<TaskManager>,
    pub client: reqwest::Client,
}

impl Served {
    pub async fn start(hand_ins: HandIns) -> Self {
        Self::start_with(hand_ins, Config::default(), None).await
    }

    pub async fn start_with(
        hand_ins: HandIns,
        config: Config,
        extensions: Option<Arc<dyn cowork_core::ExtensionSource>>,
    ) -> Self {
        let place = Place::new();
        let lock = DaemonLock::acquire(&place.data_dir()).unwrap();
        let manager = place.start_extended(2, config, extensions);
        let options = ServeOptions {
            port: 0,
            hand_ins,
            ..ServeOptions::default()
        };
        let server = serve(manager.clone() as Arc<dyn Backend>, lock, options)
            .await
            .unwrap();
        Self {
            place,
            server,
            manager,
            client: client(),
        }
    }

    /// The daemon's own store handle: what the pages read and write.
    pub fn store(&self) -> Arc<Store> {
        self.manager.store().expect("the daemon keeps a store")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.server.port())
    }

    /// A request with the bearer token (no CSRF token needed).
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(self.server.token())
    }

    /// The page's HTML, with the bearer token; panics on a non-2xx.
    pub async fn page(&self, path: &str) -> String {
        let response = self.api(Method::GET, path).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status}\n{body}");
        body
    }

    /// Signs in as a browser does: the token link, then the session's
    /// CSRF token.
    pub async fn sign_in(&self) -> BrowserSession {
        let response = self
            .client
            .get(self.url(&format!("/?token={}", self.server.token())))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let cookie = set_cookie(&response).split(';').next().unwrap().to_owned();
        let session: serde_json::Value = self
            .client
            .get(self.url("/api/session"))
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

    /// A form posted by the signed-in browser `session`, with `fields`
    /// as they are (add `csrf` to send the token).
    pub async fn post_form(
        &self,
        session: &BrowserSession,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(self.url(path))
            .header(reqwest::header::COOKIE, &session.cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ORIGIN, self.url(""))
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

/// Which of the database's files (with its WAL and shared memory) hold
/// `needle` as raw bytes: a deleted memory entry must be in none.
pub fn files_holding(db: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| std::path::PathBuf::from(format!("{}{suffix}", db.display())))
        .filter(|path| {
            std::fs::read(path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .collect()
}
