//! The token endpoint (RFC 6749 §4.1.3, §6) with the RFC 8707 `resource`
//! on every grant, and revocation (RFC 7009).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Client, RequestBuilder};
use serde::Deserialize;

use super::error::{OAuthError, with_description};
use super::form;
use super::http::{self, ErrorBody, secure_url};
use super::store::{ClientCredentials, Secret, StoredToken, TokenEndpointAuth};

/// What is traded for tokens.
pub(crate) enum Grant<'a> {
    Code {
        code: &'a str,
        redirect_uri: &'a str,
        verifier: &'a str,
    },
    Refresh {
        refresh_token: &'a Secret,
    },
}

/// A successful token answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

impl TokenResponse {
    /// `previous` with this answer's tokens: a refresh that returns no new
    /// refresh token or scope keeps the old ones (RFC 6749 §5.1, §6).
    pub fn apply(self, previous: StoredToken, now: i64) -> StoredToken {
        StoredToken {
            access_token: Secret::new(self.access_token),
            refresh_token: self
                .refresh_token
                .map(Secret::new)
                .or(previous.refresh_token),
            expires_at: self.expires_in.map(|s| now.saturating_add(s)),
            scope: self.scope.or(previous.scope),
            ..previous
        }
    }
}

/// Sends `grant` to `endpoint` for `resource`. On a refresh, the server's
/// `invalid_grant` means the login is gone: [`OAuthError::LoginRevoked`].
pub(crate) async fn request(
    http_client: &Client,
    server: &str,
    endpoint: &str,
    client: &ClientCredentials,
    resource: &str,
    grant: Grant<'_>,
) -> Result<TokenResponse, OAuthError> {
    let url = secure_url("the token endpoint", endpoint)?;
    let is_refresh = matches!(grant, Grant::Refresh { .. });
    let mut pairs: Vec<(&str, &str)> = match &grant {
        Grant::Code {
            code,
            redirect_uri,
            verifier,
        } => vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ],
        Grant::Refresh { refresh_token } => vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ],
    };
    pairs.push(("resource", resource));
    let request = authenticate(http_client.post(url.clone()), client, &mut pairs);
    let response = request
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(form::encode(&pairs))
        .send()
        .await
        .map_err(|e| http::unreachable(&url, &e))?;
    let status = response.status();
    let body = http::body(&url, response).await?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) if is_refresh && e.error == "invalid_grant" => OAuthError::LoginRevoked {
                server: server.to_owned(),
            },
            Ok(e) => OAuthError::TokenRefused {
                url: url.to_string(),
                description: with_description(e.error_description.as_deref()),
                error: e.error,
            },
            Err(_) => OAuthError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                detail: String::new(),
            },
        });
    }
    let token: TokenResponse = http::parse(&url, "token response", &body)?;
    if !token.token_type.eq_ignore_ascii_case("bearer") {
        return Err(OAuthError::BadResponse {
            url: url.to_string(),
            what: "token response",
            reason: format!(
                "the token type is `{}`, and cowork only sends Bearer tokens",
                token.token_type
            ),
        });
    }
    Ok(token)
}

/// Client authentication as registered: the id in the form for a public
/// client, the secret in the form or in HTTP Basic for a confidential one.
fn authenticate<'a>(
    request: RequestBuilder,
    client: &'a ClientCredentials,
    pairs: &mut Vec<(&str, &'a str)>,
) -> RequestBuilder {
    match (client.auth, &client.client_secret) {
        (TokenEndpointAuth::ClientSecretBasic, Some(secret)) => {
            // RFC 6749 §2.3.1: both parts form-encoded before base64.
            let user = form::component(&client.client_id);
            let pass = form::component(secret.expose());
            let basic = STANDARD.encode(format!("{user}:{pass}"));
            request.header("authorization", format!("Basic {basic}"))
        }
        (TokenEndpointAuth::ClientSecretPost, Some(secret)) => {
            pairs.push(("client_id", &client.client_id));
            pairs.push(("client_secret", secret.expose()));
            request
        }
        (
            TokenEndpointAuth::None
            | TokenEndpointAuth::ClientSecretBasic
            | TokenEndpointAuth::ClientSecretPost,
            _,
        ) => {
            pairs.push(("client_id", &client.client_id));
            request
        }
    }
}

/// Asks the server to forget `token`'s refresh token (or access token).
/// Best effort: the caller deletes the local copy whatever happens.
pub(crate) async fn revoke(http_client: &Client, token: &StoredToken) -> Result<(), OAuthError> {
    let Some(endpoint) = &token.revocation_endpoint else {
        return Ok(());
    };
    let url = secure_url("the revocation endpoint", endpoint)?;
    let (value, hint) = match &token.refresh_token {
        Some(refresh) => (refresh.expose(), "refresh_token"),
        None => (token.access_token.expose(), "access_token"),
    };
    let mut pairs = vec![("token", value), ("token_type_hint", hint)];
    let request = authenticate(http_client.post(url.clone()), &token.client, &mut pairs);
    let response = request
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form::encode(&pairs))
        .send()
        .await
        .map_err(|e| http::unreachable(&url, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = http::body(&url, response).await.unwrap_or_default();
    Err(OAuthError::Status {
        url: url.to_string(),
        status: status.as_u16(),
        detail: http::status_detail(&body),
    })
}
