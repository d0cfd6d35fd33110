//! Who may talk to the daemon, checked before any route runs.
//!
//! In order: the `Host` header must name this server (a page on a
//! rebinding domain cannot reach it), a present `Origin` must be this
//! server (a cross-site form cannot post to it), then the request needs the
//! token: `Authorization: Bearer TOKEN` for programs, or the session cookie
//! a browser gets by opening `/?token=TOKEN` (or posting the token to
//! `/login`). A state-changing request authenticated by the cookie must also
//! carry the session's CSRF token, in `X-CSRF-Token` or a form field `csrf`.
//! `GET /api/health` and the login page are the only open routes.

use std::net::IpAddr;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use crate::backend::Front;
use crate::login;
use crate::query::QueryParams;
use crate::secret::{Secret, constant_time_eq};
use crate::state::Session;

/// The header a cookie-authenticated request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The header a bearer client names itself in (`terminal` for the CLI,
/// else `api`), recorded with the approvals it answers.
pub const FRONT_HEADER: &str = "x-cowork-front";
/// The form field a cookie-authenticated form carries its CSRF token in.
pub const CSRF_FIELD: &str = "csrf";
/// Browsers keep at most this many sessions at once; the oldest goes first.
const MAX_SESSIONS: usize = 64;
/// The largest form body read to find its CSRF field.
const MAX_FORM_BODY: usize = 1024 * 1024;

/// The server's token, its browser sessions, and the names it answers to.
#[derive(Debug)]
pub struct Auth {
    token: Secret,
    cookie_name: String,
    /// `Host` values this server answers to, as `host:port`.
    hosts: Vec<String>,
    /// Bound to every interface: any IP literal names this server (a
    /// rebinding attack needs a domain name, never a literal).
    any_ip_literal: bool,
    port: u16,
    sessions: Mutex<Vec<StoredSession>>,
}

#[derive(Debug)]
struct StoredSession {
    id: Secret,
    csrf: Secret,
}

/// Why a request was turned away; each maps to a status and a message.
#[derive(Debug)]
enum Refusal {
    WrongHost(String),
    CrossSite(String),
    NoCredentials,
    WrongToken,
    NoCsrf,
    FormTooLarge,
    BadFront,
    Internal(String),
}

impl Auth {
    /// The guard for a server listening on `bind:port` with `token`.
    pub fn new(token: Secret, bind: IpAddr, port: u16) -> Self {
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        let explicit = match bind {
            IpAddr::V4(ip) => format!("{ip}:{port}"),
            IpAddr::V6(ip) => format!("[{ip}]:{port}"),
        };
        if !hosts.contains(&explicit) {
            hosts.push(explicit);
        }
        Self {
            token,
            // Cookies are not separated by port: two daemons (two data
            // dirs) on one machine must not overwrite each other's.
            cookie_name: format!("cowork_session_{port}"),
            hosts,
            any_ip_literal: bind.is_unspecified(),
            port,
            sessions: Mutex::new(Vec::new()),
        }
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// Starts a browser session; returns its `Set-Cookie` value.
    pub fn start_session(&self) -> Result<String, getrandom::Error> {
        let session = StoredSession {
            id: Secret::generate()?,
            csrf: Secret::generate()?,
        };
        let cookie = format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/",
            self.cookie_name,
            session.id.expose()
        );
        let mut sessions = self.lock_sessions();
        if sessions.len() >= MAX_SESSIONS {
            sessions.remove(0);
        }
        sessions.push(session);
        Ok(cookie)
    }

    /// Ends the session the request's cookie names, if any; returns the
    /// `Set-Cookie` value that clears the cookie.
    pub fn end_session(&self, headers: &HeaderMap) -> String {
        let ids = cookie_values(headers, &self.cookie_name);
        self.lock_sessions()
            .retain(|s| !ids.iter().any(|id| s.id.matches(id)));
        format!(
            "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
            self.cookie_name
        )
    }

    fn session_for(&self, headers: &HeaderMap) -> Option<Session> {
        let ids = cookie_values(headers, &self.cookie_name);
        if ids.is_empty() {
            return None;
        }
        let sessions = self.lock_sessions();
        // Every stored id is compared in full, so timing says nothing
        // about which one came close.
        let mut found = None;
        for stored in sessions.iter() {
            for id in &ids {
                if stored.id.matches(id) && found.is_none() {
                    found = Some(Session {
                        csrf: stored.csrf.expose().to_owned(),
                    });
                }
            }
        }
        found
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, Vec<StoredSession>> {
        // The list holds no invariant a panicking holder could break.
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if self.hosts.contains(&host) {
            return true;
        }
        if !self.any_ip_literal {
            return false;
        }
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        let literal = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name);
        port == self.port.to_string() && literal.parse::<IpAddr>().is_ok()
    }

    /// What `Host` should say, for the refusal message.
    fn expected_hosts(&self) -> String {
        self.hosts.join(" or ")
    }
}

/// The middleware: host, origin, login by `?token=`, credentials, CSRF.
pub async fn guard(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    match check(&auth, request).await {
        Ok(Checked::Pass(request)) => next.run(request).await,
        Ok(Checked::Answer(response)) => response,
        Err(refusal) => refuse(refusal, api),
    }
}

enum Checked {
    Pass(Request),
    Answer(Response),
}

async fn check(auth: &Auth, mut request: Request) -> Result<Checked, Refusal> {
    let host = request_host(&request);
    if !host.as_deref().is_some_and(|h| auth.host_allowed(h)) {
        return Err(Refusal::WrongHost(auth.expected_hosts()));
    }
    let host = host.unwrap_or_default();
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let same = origin
            .to_str()
            .is_ok_and(|o| o.eq_ignore_ascii_case(&format!("http://{host}")));
        if !same {
            return Err(Refusal::CrossSite(host));
        }
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if is_open(&method, &path) {
        return Ok(Checked::Pass(request));
    }
    let query = QueryParams::parse(request.uri().query());
    if method == Method::GET
        && !path.starts_with("/api/")
        && let Some(token) = query.get("token")
    {
        return login_by_link(auth, token, &path, &query).map(Checked::Answer);
    }

    if let Some(authorization) = request.headers().get(header::AUTHORIZATION) {
        // A bearer that does not match is refused outright, never
        // retried as a cookie: the client said who it is.
        // The scheme's name is case-insensitive (RFC 9110).
        let bearer = authorization
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        return match bearer {
            Some(token) if auth.token.matches(token) => {
                let front = bearer_front(request.headers())?;
                request.extensions_mut().insert(front);
                Ok(Checked::Pass(request))
            }
            Some(_) | None => Err(Refusal::WrongToken),
        };
    }

    let Some(session) = auth.session_for(request.headers()) else {
        return Err(Refusal::NoCredentials);
    };
    if !is_safe(&method) {
        request = check_csrf(request, &session).await?;
    }
    request.extensions_mut().insert(session);
    request.extensions_mut().insert(Front::Web);
    Ok(Checked::Pass(request))
}

/// What a bearer client says it is. Only `terminal` and `api`: `web` is
/// what cookie sessions are, and a client cannot claim to be one.
fn bearer_front(headers: &HeaderMap) -> Result<Front, Refusal> {
    let Some(value) = headers.get(FRONT_HEADER) else {
        return Ok(Front::Api);
    };
    match value.to_str().map(str::trim) {
        Ok("terminal") => Ok(Front::Terminal),
        Ok("api") => Ok(Front::Api),
        Ok(_) | Err(_) => Err(Refusal::BadFront),
    }
}

fn is_open(method: &Method, path: &str) -> bool {
    ((method == Method::GET || method == Method::HEAD) && path == "/api/health")
        || ((method == Method::GET || method == Method::POST) && path == login::LOGIN_PATH)
}

fn is_safe(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD || method == Method::OPTIONS
}

/// The host the request was sent to: the `Host` header, or the authority
/// of an absolute-form request line.
fn request_host(request: &Request) -> Option<String> {
    if let Some(authority) = request.uri().authority() {
        return Some(authority.as_str().to_owned());
    }
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
}

/// `GET /anything?token=…`: with the right token, a session cookie and a
/// redirect to the same page without the token, so it leaves the address
/// bar (and the history entry the person sees).
fn login_by_link(
    auth: &Auth,
    token: &str,
    path: &str,
    query: &QueryParams,
) -> Result<Response, Refusal> {
    if !auth.token.matches(token) {
        return Ok(login::page(
            StatusCode::UNAUTHORIZED,
            Some(login::WRONG_TOKEN),
        ));
    }
    let cookie = auth
        .start_session()
        .map_err(|e| Refusal::Internal(format!("could not start a session: {e}")))?;
    // `//host/…` would send the browser to another site, and browsers
    // read a backslash as a slash there (`/\host/…`).
    let path = format!("/{}", path.trim_start_matches(['/', '\\']));
    let rest = query.without("token");
    let location = if rest.is_empty() {
        path
    } else {
        format!("{path}?{rest}")
    };
    Ok(login::redirect(&location, &cookie))
}

async fn check_csrf(request: Request, session: &Session) -> Result<Request, Refusal> {
    if let Some(value) = request.headers().get(CSRF_HEADER) {
        return if value.to_str().is_ok_and(|v| csrf_matches(session, v)) {
            Ok(request)
        } else {
            Err(Refusal::NoCsrf)
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Refusal::NoCsrf);
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_FORM_BODY)
        .await
        .map_err(|_| Refusal::FormTooLarge)?;
    let field = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    match field {
        Some(value) if csrf_matches(session, &value) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        Some(_) | None => Err(Refusal::NoCsrf),
    }
}

fn csrf_matches(session: &Session, candidate: &str) -> bool {
    constant_time_eq(&session.csrf, candidate)
}

/// Every value of the cookie `name` the request carries (a browser may
/// send several when paths overlap).
fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .collect()
}

fn refuse(refusal: Refusal, api: bool) -> Response {
    let (status, message) = match refusal {
        Refusal::WrongHost(expected) => (
            StatusCode::MISDIRECTED_REQUEST,
            format!("this server answers only to {expected}: use the address `cowork serve` printed"),
        ),
        Refusal::CrossSite(host) => (
            StatusCode::FORBIDDEN,
            format!("cross-site request refused: only pages served by http://{host} may send requests here"),
        ),
        Refusal::NoCredentials => (
            StatusCode::UNAUTHORIZED,
            "this needs the server's token: send `Authorization: Bearer TOKEN` (the token is in server.json in cowork's data dir), or open the link `cowork serve` printed".to_owned(),
        ),
        Refusal::WrongToken => (
            StatusCode::UNAUTHORIZED,
            "the token is not this server's: read the current one from server.json in cowork's data dir (it changes each time the daemon starts)".to_owned(),
        ),
        Refusal::NoCsrf => (
            StatusCode::FORBIDDEN,
            format!("missing or wrong CSRF token: a request signed in by the session cookie must carry the page's token in the `X-CSRF-Token` header or the `{CSRF_FIELD}` form field; reload the page"),
        ),
        Refusal::FormTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the form is larger than {MAX_FORM_BODY} bytes"),
        ),
        Refusal::BadFront => (
            StatusCode::BAD_REQUEST,
            format!("`{FRONT_HEADER}` must be `terminal` or `api`"),
        ),
        Refusal::Internal(message) => (StatusCode::INTERNAL_SERVER_ERROR, message),
    };
    if api {
        let mut response = crate::error::ApiError::new(status, message).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return response;
    }
    if status == StatusCode::UNAUTHORIZED {
        return login::page(status, None);
    }
    login::message_page(status, &message)
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
