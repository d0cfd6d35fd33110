//! [`OAuthProvider`]: the stored login of each remote server, as the MCP
//! transports ask for it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use reqwest::Client;

use super::discovery::Challenge;
use super::error::OAuthError;
use super::flow::union_scope;
use super::http;
use super::store::{Secret, StoredToken, TokenStore};
use super::token::{self, Grant};
use crate::mcp::auth::{AuthError, AuthProvider};
use crate::mcp::config::RemoteServer;

/// A token this close to its expiry is refreshed before use: it could
/// expire on the way.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// A 401 this soon after this provider refreshed the token was most
/// likely for the token it replaced (a request already on its way), so
/// the new one is offered instead of being refreshed again.
const JUST_REFRESHED: Duration = Duration::from_secs(30);

/// Supplies stored OAuth tokens, refreshing them when they expire or a
/// server says they no longer work.
#[derive(Debug)]
pub struct OAuthProvider {
    store: TokenStore,
    http: Client,
    /// One refresh at a time: servers rotate refresh tokens, so a second
    /// concurrent refresh would spend an already-spent token, get
    /// `invalid_grant`, and log the person out.
    refreshing: tokio::sync::Mutex<()>,
    /// Per server, the access token this provider last obtained, and when.
    refreshed: Mutex<HashMap<String, (Secret, Instant)>>,
}

impl OAuthProvider {
    pub fn new(store: TokenStore) -> Self {
        Self {
            store,
            http: http::client(),
            refreshing: tokio::sync::Mutex::new(()),
            refreshed: Mutex::new(HashMap::new()),
        }
    }

    /// `server`'s login if it was made for `remote`'s URL: a token is
    /// never sent to a server it was not issued for, even when the
    /// configuration changes under the same name.
    fn login_for(
        &self,
        server: &str,
        remote: &RemoteServer,
    ) -> Result<Option<StoredToken>, OAuthError> {
        Ok(self
            .store
            .load(server)?
            .filter(|token| token.server_url == remote.url))
    }

    async fn header_for(
        &self,
        server: &str,
        remote: &RemoteServer,
    ) -> Result<Option<String>, OAuthError> {
        let Some(token) = self.login_for(server, remote)? else {
            return Ok(None);
        };
        let now = jiff::Timestamp::now().as_second();
        let token = match token.expires_at {
            Some(at) if at <= now.saturating_add(EXPIRY_MARGIN_SECS) => {
                self.refresh(server, remote, &token).await?
            }
            Some(_) | None => token,
        };
        Ok(Some(bearer(&token)))
    }

    async fn on_challenge(
        &self,
        server: &str,
        remote: &RemoteServer,
        status: u16,
        www_authenticate: Option<&str>,
    ) -> Result<Option<String>, OAuthError> {
        let challenge = www_authenticate.and_then(Challenge::parse);
        let not_logged_in = || OAuthError::NotLoggedIn {
            server: server.to_owned(),
        };
        if status == 403 {
            let wanted = challenge
                .filter(|c| c.error.as_deref() == Some("insufficient_scope"))
                .map(|c| c.scope.unwrap_or_default());
            return match wanted {
                Some(scope) => {
                    self.want_scope(server, remote, &scope)?;
                    Err(not_logged_in())
                }
                None => Err(OAuthError::Status {
                    url: remote.url.clone(),
                    status,
                    detail: " (access refused for this login)".to_owned(),
                }),
            };
        }
        let token = self.login_for(server, remote)?.ok_or_else(not_logged_in)?;
        if token.refresh_token.is_none() {
            return Err(not_logged_in());
        }
        let token = self.refresh(server, remote, &token).await?;
        Ok(Some(bearer(&token)))
    }

    /// Refreshes `stale`, unless another caller already did while this
    /// one waited for its turn, or did just before (see
    /// [`JUST_REFRESHED`]). A revoked login is deleted.
    async fn refresh(
        &self,
        server: &str,
        remote: &RemoteServer,
        stale: &StoredToken,
    ) -> Result<StoredToken, OAuthError> {
        let _turn = self.refreshing.lock().await;
        let current = self
            .login_for(server, remote)?
            .ok_or(OAuthError::NotLoggedIn {
                server: server.to_owned(),
            })?;
        let now = jiff::Timestamp::now().as_second();
        let unexpired = current.expires_at.is_none_or(|at| at > now);
        if current.access_token != stale.access_token
            || (unexpired && self.just_refreshed(server, &current.access_token))
        {
            return Ok(current);
        }
        let Some(refresh_token) = &current.refresh_token else {
            return Err(OAuthError::NotLoggedIn {
                server: server.to_owned(),
            });
        };
        let answer = token::request(
            &self.http,
            server,
            &current.token_endpoint,
            &current.client,
            &current.resource,
            Grant::Refresh { refresh_token },
        )
        .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error @ OAuthError::LoginRevoked { .. }) => {
                self.store.remove(server)?;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        let refreshed = answer.apply(current, jiff::Timestamp::now().as_second());
        self.store.save(server, &refreshed)?;
        self.refreshed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                server.to_owned(),
                (refreshed.access_token.clone(), Instant::now()),
            );
        Ok(refreshed)
    }

    fn just_refreshed(&self, server: &str, access_token: &Secret) -> bool {
        self.refreshed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(server)
            .is_some_and(|(token, at)| token == access_token && at.elapsed() < JUST_REFRESHED)
    }

    /// Remembers that `server` wants `scope` too, for the next login.
    fn want_scope(
        &self,
        server: &str,
        remote: &RemoteServer,
        scope: &str,
    ) -> Result<(), OAuthError> {
        let Some(mut token) = self.login_for(server, remote)? else {
            return Ok(());
        };
        let wanted = union_scope(
            [token.wanted_scope.clone(), Some(scope.to_owned())]
                .iter()
                .flatten(),
        );
        if wanted != token.wanted_scope {
            token.wanted_scope = wanted;
            self.store.save(server, &token)?;
        }
        Ok(())
    }
}

fn bearer(token: &StoredToken) -> String {
    format!("Bearer {}", token.access_token.expose())
}

fn auth_error(error: OAuthError) -> AuthError {
    if error.needs_login() {
        AuthError::NeedsLogin
    } else {
        AuthError::Failed(error.to_string())
    }
}

impl AuthProvider for OAuthProvider {
    fn authorization<'a>(
        &'a self,
        server: &'a str,
        remote: &'a RemoteServer,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async move { self.header_for(server, remote).await.map_err(auth_error) })
    }

    fn challenged<'a>(
        &'a self,
        server: &'a str,
        remote: &'a RemoteServer,
        status: u16,
        www_authenticate: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async move {
            self.on_challenge(server, remote, status, www_authenticate)
                .await
                .map_err(auth_error)
        })
    }
}
