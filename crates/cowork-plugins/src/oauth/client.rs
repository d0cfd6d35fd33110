//! Who cowork is to an authorization server, in the MCP spec's order:
//! the preregistered client of the server's configuration, else a Client
//! ID Metadata Document, else dynamic client registration (RFC 7591).

use reqwest::{Client, Url};
use serde::Deserialize;

use super::callback::Callback;
use super::discovery::ServerMetadata;
use super::error::OAuthError;
use super::http::{self, secure_url};
use super::store::{ClientCredentials, ClientRegistration, Secret, TokenEndpointAuth, TokenStore};
use crate::mcp::config::RemoteServer;

/// The HTTPS URL of cowork's Client ID Metadata Document, which is also
/// its `client_id` at servers that accept such documents. Its content is
/// [`client_metadata_document`]`(CLIENT_METADATA_URL)`, published there.
pub const CLIENT_METADATA_URL: &str = "https://cowork-dev.github.io/cowork/oauth/client.json";

/// cowork's Client ID Metadata Document: a native public client that
/// receives codes on a loopback redirect (any port, RFC 8252 §7.3).
pub fn client_metadata_document(client_id: &str) -> serde_json::Value {
    serde_json::json!({
        "client_id": client_id,
        "client_name": "cowork",
        "client_uri": "https://github.com/cowork-dev/cowork",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    })
}

/// How cowork will identify itself, and the listener its redirect URI
/// names.
pub(crate) struct Identity {
    pub client: ClientCredentials,
    pub callback: Callback,
}

/// Picks the client identity for `server` at the authorization server
/// described by `metadata`, registering one if that is the only way.
pub(crate) async fn identify(
    http_client: &Client,
    store: &TokenStore,
    server: &str,
    remote: &RemoteServer,
    metadata: &ServerMetadata,
    client_metadata_url: &str,
) -> Result<Identity, OAuthError> {
    let oauth = remote.oauth.as_ref();
    let fixed_port = oauth.and_then(|o| o.callback_port);
    let public = |client_id: &str| ClientCredentials {
        client_id: client_id.to_owned(),
        client_secret: None,
        auth: TokenEndpointAuth::None,
    };
    if let Some(client_id) = oauth.and_then(|o| o.client_id.as_deref()) {
        return Ok(Identity {
            client: public(client_id),
            callback: Callback::bind(fixed_port.unwrap_or(0)).await?,
        });
    }
    if metadata.client_id_metadata_document_supported {
        return Ok(Identity {
            client: public(client_metadata_url),
            callback: Callback::bind(fixed_port.unwrap_or(0)).await?,
        });
    }
    let Some(endpoint) = &metadata.registration_endpoint else {
        return Err(OAuthError::NoClientIdentity {
            server: server.to_owned(),
            issuer: metadata.issuer.clone(),
        });
    };
    if let Some(registration) = store.registration(server, &metadata.issuer)? {
        let port = fixed_port.or_else(|| port_of(&registration.redirect_uri));
        // The registered redirect URI names a port; if another program
        // holds it now, a new registration is cheaper than a failed login.
        if let Some(callback) = match port {
            Some(port) => Callback::bind(port).await.ok(),
            None => None,
        } && callback.redirect_uri() == registration.redirect_uri
        {
            return Ok(Identity {
                client: registration.client,
                callback,
            });
        }
    }
    let callback = Callback::bind(fixed_port.unwrap_or(0)).await?;
    let registration = register(http_client, endpoint, &callback.redirect_uri()).await?;
    store.save_registration(server, &metadata.issuer, &registration)?;
    Ok(Identity {
        client: registration.client,
        callback,
    })
}

fn port_of(uri: &str) -> Option<u16> {
    Url::parse(uri).ok()?.port()
}

#[derive(Deserialize)]
struct Registered {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// RFC 7591 registration as a native public client; a server that hands
/// out a secret anyway gets it back the way it said (Basic by default).
async fn register(
    http_client: &Client,
    endpoint: &str,
    redirect_uri: &str,
) -> Result<ClientRegistration, OAuthError> {
    let url = secure_url("the registration endpoint", endpoint)?;
    let body = serde_json::json!({
        "client_name": "cowork",
        "client_uri": "https://github.com/cowork-dev/cowork",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    });
    let response = http_client
        .post(url.clone())
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| http::unreachable(&url, &e))?;
    let status = response.status();
    let bytes = http::body(&url, response).await?;
    if !status.is_success() {
        return Err(OAuthError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            detail: http::status_detail(&bytes),
        });
    }
    let registered: Registered = http::parse(&url, "client registration", &bytes)?;
    let auth = match (
        registered.client_secret.is_some(),
        registered.token_endpoint_auth_method.as_deref(),
    ) {
        (false, _) | (true, Some("none")) => TokenEndpointAuth::None,
        (true, Some("client_secret_post")) => TokenEndpointAuth::ClientSecretPost,
        (true, _) => TokenEndpointAuth::ClientSecretBasic,
    };
    Ok(ClientRegistration {
        client: ClientCredentials {
            client_id: registered.client_id,
            client_secret: registered.client_secret.map(Secret::new),
            auth,
        },
        redirect_uri: redirect_uri.to_owned(),
    })
}
