//! Security headers on every response. A handler that needs a different
//! policy (a file preview, which must never run as a page of ours) sets its
//! own header and this layer leaves it alone.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Only our own scripts, styles and images; no plugins, no framing, no
/// `<base>` tricks, forms post only to us. No inline script: the web UI
/// ships its script as files.
pub const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // API answers are about tasks and files of the moment, some private:
    // never kept by a browser's or a proxy's cache.
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let defaults: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: with it a browser sends `Origin: null` on
        // every form post and fetch of our own pages, and the origin check
        // refuses them. `same-origin` still tells other sites nothing.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Another site cannot embed our responses (`<img src>` of a
        // preview) nor keep a handle on our windows.
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
