//! The login page: the one HTML page the server shows without a session,
//! and the routes that start and end one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::auth::Auth;
use crate::state::AppState;

pub const LOGIN_PATH: &str = "/login";
pub const LOGOUT_PATH: &str = "/logout";
pub const WRONG_TOKEN: &str =
    "That token is not this server's. It changes each time the daemon starts: use the newest link.";

/// `GET /login`, `POST /login` (form field `token`), `POST /logout`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(LOGIN_PATH, get(show).post(submit))
        .route(LOGOUT_PATH, post(logout))
}

async fn show() -> Response {
    page(StatusCode::OK, None)
}

async fn submit(Extension(auth): Extension<Arc<Auth>>, body: Bytes) -> Response {
    let token = form_urlencoded::parse(&body)
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.trim().to_owned());
    match token {
        Some(token) if auth.token().matches(&token) => match auth.start_session() {
            Ok(cookie) => redirect("/", &cookie),
            Err(e) => message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("could not start a session: {e}"),
            ),
        },
        Some(_) | None => page(StatusCode::UNAUTHORIZED, Some(WRONG_TOKEN)),
    }
}

async fn logout(Extension(auth): Extension<Arc<Auth>>, headers: HeaderMap) -> Response {
    let cookie = auth.end_session(&headers);
    redirect(LOGIN_PATH, &cookie)
}

/// A `303 See Other` to `location` that sets `cookie`.
pub fn redirect(location: &str, cookie: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The login page, with `problem` above the form when the last try failed.
pub fn page(status: StatusCode, problem: Option<&str>) -> Response {
    let problem = problem
        .map(|p| format!("<p role=\"alert\"><strong>{}</strong></p>\n", escape(p)))
        .unwrap_or_default();
    let body = format!(
        "{HEAD}<h1>Sign in to cowork</h1>\n{problem}\
<p>Open the link <code>cowork serve</code> printed (it ends in <code>?token=…</code>), \
or paste the token from <code>server.json</code> in cowork's data dir.</p>\n\
<form method=\"post\" action=\"{LOGIN_PATH}\">\n\
<label for=\"token\">Token</label>\n\
<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required autofocus>\n\
<button type=\"submit\">Sign in</button>\n\
</form>\n{TAIL}"
    );
    with_no_store(status, body)
}

/// A page that only says what went wrong.
pub fn message_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "{HEAD}<h1>{}</h1>\n<p>{}</p>\n{TAIL}",
        escape(status.canonical_reason().unwrap_or("Error")),
        escape(message)
    );
    with_no_store(status, body)
}

fn with_no_store(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

const HEAD: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>cowork</title>\n</head>\n<body>\n<main>\n";
const TAIL: &str = "</main>\n</body>\n</html>\n";

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
