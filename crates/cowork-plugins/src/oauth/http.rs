//! The HTTP side every OAuth step shares: which URLs may carry
//! credentials, and reading JSON answers with the URL named in errors.

use reqwest::{Client, Response, Url};
use serde::de::DeserializeOwned;

use super::error::{OAuthError, with_description};

/// Metadata and token answers are small; a server sending more is broken
/// or hostile, and must not fill the memory.
const MAX_BODY: usize = 1 << 20;

/// Parses `url` and refuses anything but HTTPS, or HTTP to a loopback
/// address (local servers and tests): OAuth codes and tokens must not
/// cross a network in clear text.
pub(crate) fn secure_url(what: &'static str, url: &str) -> Result<Url, OAuthError> {
    let parsed = Url::parse(url).map_err(|e| OAuthError::BadUrl {
        what,
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        _ => Err(OAuthError::Insecure {
            what,
            url: url.to_owned(),
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The canonical form of a resource URI (RFC 8707, MCP spec): scheme and
/// host lower-cased (the parser does that), no fragment, and no trailing
/// `/` on an empty path, so `https://x.example` and `https://x.example/`
/// are one resource.
pub(crate) fn canonical_resource(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    let text = url.to_string();
    match (url.path(), url.query()) {
        ("/", None) => text.trim_end_matches('/').to_owned(),
        _ => text,
    }
}

/// The client every OAuth request goes through: no redirects (a token
/// request must reach the endpoint named, not wherever it points) and a
/// bounded wait.
pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_else(|_| Client::new())
}

pub(crate) fn unreachable(url: &Url, error: &reqwest::Error) -> OAuthError {
    OAuthError::Unreachable {
        url: url.to_string(),
        reason: error.without_url_text(),
    }
}

trait WithoutUrl {
    fn without_url_text(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    /// The URL is already in our message, and may carry a query.
    fn without_url_text(&self) -> String {
        let mut reason = self.to_string();
        if let Some(url) = self.url() {
            reason = reason.replace(&format!(" ({url})"), "");
        }
        reason
    }
}

/// The body of `response`, at most [`MAX_BODY`] bytes.
pub(crate) async fn body(url: &Url, response: Response) -> Result<Vec<u8>, OAuthError> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY as u64)
    {
        return Err(too_big(url));
    }
    let bytes = response.bytes().await.map_err(|e| unreachable(url, &e))?;
    if bytes.len() > MAX_BODY {
        return Err(too_big(url));
    }
    Ok(bytes.to_vec())
}

fn too_big(url: &Url) -> OAuthError {
    OAuthError::BadResponse {
        url: url.to_string(),
        what: "metadata",
        reason: format!("the answer is larger than {MAX_BODY} bytes"),
    }
}

/// `body` as `T`, or an error naming `url` and what was expected.
pub(crate) fn parse<T: DeserializeOwned>(
    url: &Url,
    what: &'static str,
    body: &[u8],
) -> Result<T, OAuthError> {
    serde_json::from_slice(body).map_err(|e| OAuthError::BadResponse {
        url: url.to_string(),
        what,
        reason: e.to_string(),
    })
}

/// An OAuth error answer (RFC 6749 §5.2), when the body is one.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ErrorBody {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// `detail` for [`OAuthError::Status`]: the OAuth error in the body if
/// there is one (never the raw body, which may echo a credential).
pub(crate) fn status_detail(body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => format!(
            " ({}{})",
            e.error,
            with_description(e.error_description.as_deref())
        ),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_on_loopback() {
        assert!(secure_url("x", "https://auth.example.com/token").is_ok());
        assert!(secure_url("x", "http://127.0.0.1:8080/token").is_ok());
        assert!(secure_url("x", "http://localhost/token").is_ok());
        assert!(secure_url("x", "http://[::1]:1/token").is_ok());
        let err = secure_url("the token endpoint", "http://auth.example.com/token").unwrap_err();
        assert!(matches!(err, OAuthError::Insecure { .. }), "{err}");
        assert!(err.to_string().contains("the token endpoint"), "{err}");
        assert!(matches!(
            secure_url("x", "file:///etc/passwd").unwrap_err(),
            OAuthError::Insecure { .. }
        ));
        assert!(matches!(
            secure_url("x", "not a url").unwrap_err(),
            OAuthError::BadUrl { .. }
        ));
    }

    #[test]
    fn canonical_resource_drops_fragment_and_lone_slash() {
        let c = |s: &str| canonical_resource(&Url::parse(s).unwrap());
        assert_eq!(c("HTTPS://MCP.Example.com/"), "https://mcp.example.com");
        assert_eq!(c("https://mcp.example.com"), "https://mcp.example.com");
        assert_eq!(
            c("https://mcp.example.com/mcp#x"),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(
            c("https://mcp.example.com:8443/a/"),
            "https://mcp.example.com:8443/a/"
        );
    }
}
