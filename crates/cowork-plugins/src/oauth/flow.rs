//! One sign-in, from discovery to stored tokens, split where the person
//! has to act: [`Login::start`] gives the URL to open, [`Login::finish`]
//! waits for the browser to come back.

use std::time::Duration;

use reqwest::{Client, Url};

use super::callback::Callback;
use super::client::{CLIENT_METADATA_URL, identify};
use super::discovery::{Discovered, discover};
use super::error::{OAuthError, with_description};
use super::http::{self, secure_url};
use super::pkce::{Pkce, random_text};
use super::store::{ClientCredentials, StoredToken, TokenStore};
use super::token::{self, Grant};
use crate::mcp::config::RemoteServer;

/// What a front may change about a login.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// cowork's Client ID Metadata Document URL ([`CLIENT_METADATA_URL`];
    /// tests serve their own).
    pub client_metadata_url: String,
    /// How long to wait for the browser (the spec's five minutes).
    pub callback_timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            client_metadata_url: CLIENT_METADATA_URL.to_owned(),
            callback_timeout: Duration::from_secs(300),
        }
    }
}

/// A login waiting for the person to approve it in a browser.
pub struct Login {
    server: String,
    server_url: String,
    store: TokenStore,
    http: Client,
    discovered: Discovered,
    client: ClientCredentials,
    callback: Callback,
    pkce: Pkce,
    state: String,
    scope: Option<String>,
    authorization_url: Url,
    timeout: Duration,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("server", &self.server)
            .field("issuer", &self.discovered.server.issuer)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A finished login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// The scope granted (space-separated), if the server said or one was
    /// asked for.
    pub scope: Option<String>,
    pub issuer: String,
}

impl Login {
    /// Discovers `remote`'s authorization server, settles the client
    /// identity, starts the loopback listener and builds the URL to open.
    /// The scope asked for is the union of what the server asks now, what
    /// the last login had, and what a 403 `insufficient_scope` wanted.
    pub async fn start(
        store: &TokenStore,
        server: &str,
        remote: &RemoteServer,
        options: &LoginOptions,
    ) -> Result<Self, OAuthError> {
        store.token_path(server)?;
        let http = http::client();
        let discovered = discover(&http, remote).await?;
        // Scopes granted by another issuer mean nothing to this one (the
        // server moved to another authorization server).
        let previous = store
            .load(server)?
            .filter(|t| t.issuer == discovered.server.issuer);
        let mut scope = union_scope(
            [
                discovered.default_scope(),
                previous.as_ref().and_then(|t| t.scope.clone()),
                previous.as_ref().and_then(|t| t.wanted_scope.clone()),
            ]
            .iter()
            .flatten(),
        );
        // SEP-2207: where the authorization server has `offline_access`,
        // a refresh token must be asked for with it.
        if let Some(asked) = &scope
            && discovered
                .server
                .scopes_supported
                .iter()
                .any(|s| s == "offline_access")
        {
            scope = union_scope([asked.clone(), "offline_access".to_owned()].iter());
        }
        let identity = identify(
            &http,
            store,
            server,
            remote,
            &discovered.server,
            &options.client_metadata_url,
        )
        .await?;
        let pkce = Pkce::new()?;
        let state = random_text::<24>()?;
        let mut authorization_url = secure_url(
            "the authorization endpoint",
            &discovered.server.authorization_endpoint,
        )?;
        {
            let mut query = authorization_url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &identity.client.client_id)
                .append_pair("redirect_uri", &identity.callback.redirect_uri())
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("state", &state)
                .append_pair("resource", &discovered.resource);
            if let Some(scope) = &scope {
                query.append_pair("scope", scope);
            }
        }
        Ok(Self {
            server: server.to_owned(),
            server_url: remote.url.clone(),
            store: store.clone(),
            http,
            discovered,
            client: identity.client,
            callback: identity.callback,
            pkce,
            state,
            scope,
            authorization_url,
            timeout: options.callback_timeout,
        })
    }

    /// The URL the person opens to approve the login.
    pub fn authorization_url(&self) -> &str {
        self.authorization_url.as_str()
    }

    /// The scope asked for, if any.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// Waits for the callback, checks `iss` (RFC 9207), trades the code
    /// for tokens and stores them.
    pub async fn finish(self) -> Result<LoggedIn, OAuthError> {
        let redirect_uri = self.callback.redirect_uri();
        let query = self.callback.wait(&self.state, self.timeout).await?;
        let metadata = &self.discovered.server;
        if let Some(error) = query.get("error") {
            return Err(OAuthError::Denied {
                error: error.clone(),
                description: with_description(query.get("error_description").map(String::as_str)),
            });
        }
        check_iss(
            query.get("iss").map(String::as_str),
            &metadata.issuer,
            metadata.authorization_response_iss_parameter_supported,
        )?;
        let code = query.get("code").ok_or_else(|| OAuthError::Denied {
            error: "the callback carried no code".to_owned(),
            description: String::new(),
        })?;
        let response = token::request(
            &self.http,
            &self.server,
            &metadata.token_endpoint,
            &self.client,
            &self.discovered.resource,
            Grant::Code {
                code,
                redirect_uri: &redirect_uri,
                verifier: &self.pkce.verifier,
            },
        )
        .await?;
        let blank = StoredToken {
            access_token: super::store::Secret::new(""),
            refresh_token: None,
            expires_at: None,
            scope: self.scope.clone(),
            issuer: metadata.issuer.clone(),
            resource: self.discovered.resource.clone(),
            server_url: self.server_url.clone(),
            token_endpoint: metadata.token_endpoint.clone(),
            revocation_endpoint: metadata.revocation_endpoint.clone(),
            client: self.client.clone(),
            wanted_scope: None,
        };
        let stored = response.apply(blank, jiff::Timestamp::now().as_second());
        self.store.save(&self.server, &stored)?;
        Ok(LoggedIn {
            scope: stored.scope,
            issuer: stored.issuer,
        })
    }
}

/// RFC 9207 §2.4: a server that promises `iss` must send it; whenever
/// it is sent it must name the issuer the login started with.
fn check_iss(iss: Option<&str>, issuer: &str, promised: bool) -> Result<(), OAuthError> {
    let problem = match iss {
        Some(found) if found == issuer => return Ok(()),
        Some(found) => format!("names the issuer `{found}`"),
        None if promised => "carries no `iss` though the server promises one".to_owned(),
        None => return Ok(()),
    };
    Err(OAuthError::IssuerCheck {
        problem,
        expected: issuer.to_owned(),
    })
}

/// Space-separated scopes, each once, in the order first seen.
pub(crate) fn union_scope<'a>(scopes: impl Iterator<Item = &'a String>) -> Option<String> {
    let mut all: Vec<&str> = Vec::new();
    for scope in scopes.flat_map(|s| s.split_whitespace()) {
        if !all.contains(&scope) {
            all.push(scope);
        }
    }
    (!all.is_empty()).then(|| all.join(" "))
}

/// What `logout` did.
#[derive(Debug)]
pub struct LoggedOut {
    /// There was a login to forget.
    pub had_login: bool,
    /// Revocation at the server failed (the local login is gone anyway).
    pub revoke_error: Option<OAuthError>,
}

/// Forgets `server`'s login, asking its authorization server to revoke it
/// first when it offers revocation.
pub async fn logout(store: &TokenStore, server: &str) -> Result<LoggedOut, OAuthError> {
    let token = store.load(server)?;
    let revoke_error = match &token {
        Some(token) => token::revoke(&http::client(), token).await.err(),
        None => None,
    };
    let had_login = store.remove(server)?;
    Ok(LoggedOut {
        had_login: had_login || token.is_some(),
        revoke_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iss_is_required_only_when_promised_and_must_always_match() {
        let issuer = "https://auth.example.com";
        assert!(check_iss(Some(issuer), issuer, true).is_ok());
        assert!(check_iss(None, issuer, false).is_ok());
        assert!(check_iss(None, issuer, true).is_err());
        assert!(check_iss(Some("https://evil.example.com"), issuer, false).is_err());
        assert!(check_iss(Some("https://evil.example.com"), issuer, true).is_err());
    }

    #[test]
    fn scopes_are_united_without_repeats() {
        let scopes = ["a b".to_owned(), "b c".to_owned(), " ".to_owned()];
        assert_eq!(union_scope(scopes.iter()).as_deref(), Some("a b c"));
        assert_eq!(union_scope([].iter()), None);
    }
}
