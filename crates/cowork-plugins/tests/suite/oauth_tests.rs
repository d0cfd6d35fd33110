//! OAuth end to end against the test authorization server of
//! cowork-test-support: the browser is automated by following the
//! authorization URL with an HTTP client (the server approves at once and
//! redirects to the loopback callback).

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use cowork_plugins::mcp::auth::{AuthError, AuthProvider};
use cowork_plugins::mcp::config::{OAuthConfig, RemoteKind, RemoteServer};
use cowork_plugins::oauth::{
    LoggedIn, Login, LoginOptions, OAuthError, OAuthProvider, TokenStore, client_metadata_document,
    logout,
};
use cowork_test_support::oauth_server::{IssMode, MetadataKind, OAuthServer, OAuthServerConfig};

const SERVER: &str = "srv";

struct Fixture {
    server: OAuthServer,
    remote: RemoteServer,
    store: TokenStore,
    options: LoginOptions,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new(config: OAuthServerConfig) -> Self {
        let server = OAuthServer::start(config);
        let dir = tempfile::tempdir().unwrap();
        let options = LoginOptions {
            client_metadata_url: server.client_document_url(),
            callback_timeout: Duration::from_secs(10),
        };
        Self {
            remote: RemoteServer {
                kind: RemoteKind::Http,
                url: server.mcp_url(),
                headers: Default::default(),
                oauth: None,
            },
            store: TokenStore::new(dir.path().join("mcp")),
            options,
            server,
            _dir: dir,
        }
    }

    /// Runs a whole login, with an HTTP client in the browser's place.
    async fn login(&self) -> Result<LoggedIn, OAuthError> {
        let login = Login::start(&self.store, SERVER, &self.remote, &self.options).await?;
        let url = login.authorization_url().to_owned();
        let browser = tokio::spawn(async move { reqwest::get(url).await });
        let result = login.finish().await;
        let _ = browser.await;
        result
    }

    fn provider(&self) -> OAuthProvider {
        OAuthProvider::new(self.store.clone())
    }

    /// Calls `/mcp` as a transport does: the stored header, and on 401 or
    /// 403 what the provider says about the challenge, retried once.
    async fn call(&self, provider: &OAuthProvider) -> Result<u16, AuthError> {
        let http = reqwest::Client::new();
        let mut header = provider.authorization(SERVER, &self.remote).await?;
        for attempt in 0..2 {
            let mut request = http.post(&self.remote.url).body("{}");
            if let Some(header) = &header {
                request = request.header("authorization", header);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            if (status == 401 || status == 403) && attempt == 0 {
                let www = response
                    .headers()
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap().to_owned());
                header = provider
                    .challenged(SERVER, &self.remote, status, www.as_deref())
                    .await?;
                continue;
            }
            return Ok(status);
        }
        unreachable!("the loop returns on its second turn")
    }

    fn token_file(&self) -> std::path::PathBuf {
        self.store.token_path(SERVER).unwrap()
    }
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn login_found_through_the_challenge_stores_a_private_token_that_the_server_accepts() {
    let f = Fixture::new(OAuthServerConfig::default());
    let done = f.login().await.unwrap();
    assert_eq!(done.scope.as_deref(), Some("mcp:read"));
    assert_eq!(done.issuer, f.server.issuer());
    assert_eq!(f.server.refusals(), Vec::<String>::new());
    assert_eq!(mode(&f.token_file()), 0o600);
    assert_eq!(mode(f.token_file().parent().unwrap()), 0o700);
    assert_eq!(f.call(&f.provider()).await, Ok(200));
}

#[tokio::test]
async fn the_resource_parameter_names_the_server_on_both_requests() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    let authorize = f.server.seen("/authorize");
    let token = f.server.seen("/token");
    assert_eq!(authorize[0].params["resource"], f.server.mcp_url());
    assert_eq!(token[0].params["resource"], f.server.mcp_url());
    assert_eq!(authorize[0].params["code_challenge_method"], "S256");
    // The server verified the verifier against the challenge itself.
    assert!(token[0].params["code_verifier"].len() >= 43);
}

#[tokio::test]
async fn without_resource_metadata_in_the_challenge_the_well_known_urls_are_probed() {
    for at_root in [false, true] {
        let f = Fixture::new(OAuthServerConfig {
            metadata_in_challenge: false,
            resource_metadata_at_root: at_root,
            ..Default::default()
        });
        f.login().await.unwrap();
        assert!(
            !f.server
                .seen("/.well-known/oauth-protected-resource/mcp")
                .is_empty()
        );
        assert_eq!(
            f.server
                .seen("/.well-known/oauth-protected-resource")
                .is_empty(),
            !at_root,
            "the root URL is tried only when the path-inserted one has nothing"
        );
        assert_eq!(f.call(&f.provider()).await, Ok(200));
    }
}

#[tokio::test]
async fn openid_discovery_is_used_when_there_is_no_rfc_8414_metadata() {
    let f = Fixture::new(OAuthServerConfig {
        metadata: MetadataKind::OpenId,
        issuer_path: "/tenant".into(),
        ..Default::default()
    });
    f.login().await.unwrap();
    // RFC 8414 and OpenID path-inserted were tried first, in that order.
    assert_eq!(
        f.server
            .seen("/.well-known/oauth-authorization-server/tenant")
            .len(),
        1
    );
    assert_eq!(
        f.server
            .seen("/.well-known/openid-configuration/tenant")
            .len(),
        1
    );
    assert_eq!(f.call(&f.provider()).await, Ok(200));
}

#[tokio::test]
async fn rfc_8414_metadata_of_an_issuer_with_a_path_is_found_path_inserted() {
    let f = Fixture::new(OAuthServerConfig {
        issuer_path: "/tenant".into(),
        ..Default::default()
    });
    f.login().await.unwrap();
    assert!(
        f.server
            .seen("/.well-known/openid-configuration/tenant")
            .is_empty()
    );
}

#[tokio::test]
async fn a_server_without_pkce_s256_is_refused_before_the_browser_opens() {
    // Only `plain` advertised, and nothing advertised at all.
    for omit in [false, true] {
        let f = Fixture::new(OAuthServerConfig {
            s256: false,
            omit_pkce_methods: omit,
            ..Default::default()
        });
        let err = Login::start(&f.store, SERVER, &f.remote, &f.options)
            .await
            .unwrap_err();
        assert!(matches!(err, OAuthError::NoS256 { .. }), "{err}");
        assert!(
            err.to_string()
                .ends_with("does not support PKCE with S256; cowork refuses to log in without it"),
            "{err}"
        );
        assert_eq!(f.server.registrations(), 0);
        assert!(f.server.seen("/authorize").is_empty());
    }
}

#[tokio::test]
async fn resource_metadata_for_another_resource_is_refused() {
    // Found through the challenge and by probing alike.
    for in_challenge in [true, false] {
        let f = Fixture::new(OAuthServerConfig {
            resource_override: Some("https://other.example.com/mcp".into()),
            metadata_in_challenge: in_challenge,
            ..Default::default()
        });
        let err = Login::start(&f.store, SERVER, &f.remote, &f.options)
            .await
            .unwrap_err();
        assert!(matches!(err, OAuthError::ResourceMismatch { .. }), "{err}");
        assert!(err.to_string().contains("other.example.com"), "{err}");
    }
}

#[tokio::test]
async fn authorization_server_metadata_naming_another_issuer_is_refused() {
    for metadata in [MetadataKind::OAuth, MetadataKind::OpenId] {
        let f = Fixture::new(OAuthServerConfig {
            metadata,
            metadata_issuer: Some("https://evil.example.com".into()),
            ..Default::default()
        });
        let err = Login::start(&f.store, SERVER, &f.remote, &f.options)
            .await
            .unwrap_err();
        assert!(matches!(err, OAuthError::IssuerMismatch { .. }), "{err}");
    }
}

#[tokio::test]
async fn an_endpoint_that_would_carry_credentials_in_clear_text_is_refused() {
    let f = Fixture::new(OAuthServerConfig {
        token_endpoint: Some("http://auth.example.com/token".into()),
        ..Default::default()
    });
    let err = Login::start(&f.store, SERVER, &f.remote, &f.options)
        .await
        .unwrap_err();
    assert!(matches!(err, OAuthError::Insecure { .. }), "{err}");
    assert!(err.to_string().contains("the token endpoint"), "{err}");
}

#[tokio::test]
async fn a_callback_naming_another_issuer_is_refused_and_no_code_is_traded() {
    let f = Fixture::new(OAuthServerConfig {
        iss: IssMode::Wrong,
        ..Default::default()
    });
    let err = f.login().await.unwrap_err();
    assert!(matches!(err, OAuthError::IssuerCheck { .. }), "{err}");
    assert!(err.to_string().contains("evil.example.com"), "{err}");
    assert!(f.server.seen("/token").is_empty());
    assert!(!f.token_file().exists());
}

#[tokio::test]
async fn a_callback_without_the_promised_iss_is_refused() {
    let f = Fixture::new(OAuthServerConfig {
        iss: IssMode::PromisedButMissing,
        ..Default::default()
    });
    let err = f.login().await.unwrap_err();
    assert!(matches!(err, OAuthError::IssuerCheck { .. }), "{err}");
    assert!(f.server.seen("/token").is_empty());
}

#[tokio::test]
async fn a_server_that_never_sends_iss_can_still_be_logged_in_to() {
    let f = Fixture::new(OAuthServerConfig {
        iss: IssMode::Absent,
        ..Default::default()
    });
    f.login().await.unwrap();
    assert_eq!(f.call(&f.provider()).await, Ok(200));
}

#[tokio::test]
async fn a_preregistered_client_and_its_callback_port_come_first() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut f = Fixture::new(OAuthServerConfig {
        preregistered: Some("cowork-pre".into()),
        client_id_metadata_documents: true,
        ..Default::default()
    });
    f.remote.oauth = Some(OAuthConfig {
        client_id: Some("cowork-pre".into()),
        callback_port: Some(port),
    });
    f.login().await.unwrap();
    let authorize = &f.server.seen("/authorize")[0];
    assert_eq!(authorize.params["client_id"], "cowork-pre");
    assert_eq!(
        authorize.params["redirect_uri"],
        format!("http://127.0.0.1:{port}/callback")
    );
    assert_eq!(f.server.registrations(), 0);
    assert!(f.server.seen("/client.json").is_empty());
}

#[tokio::test]
async fn a_client_id_metadata_document_is_preferred_to_registration() {
    let f = Fixture::new(OAuthServerConfig {
        client_id_metadata_documents: true,
        dynamic_registration: true,
        ..Default::default()
    });
    f.server
        .publish_client_document(client_metadata_document(&f.server.client_document_url()));
    f.login().await.unwrap();
    assert_eq!(
        f.server.seen("/authorize")[0].params["client_id"],
        f.server.client_document_url()
    );
    assert_eq!(
        f.server.seen("/client.json").len(),
        1,
        "the server fetched the document"
    );
    assert_eq!(f.server.registrations(), 0);
    assert_eq!(f.call(&f.provider()).await, Ok(200));
}

#[tokio::test]
async fn a_dynamic_registration_is_kept_and_reused_for_the_next_login() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    f.login().await.unwrap();
    assert_eq!(f.server.registrations(), 1);
    let registered: serde_json::Value =
        serde_json::from_str(&f.server.seen("/register")[0].params["body"]).unwrap();
    assert_eq!(registered["application_type"], "native");
    assert_eq!(registered["token_endpoint_auth_method"], "none");
}

#[tokio::test]
async fn a_registration_with_a_secret_authenticates_the_token_requests() {
    let f = Fixture::new(OAuthServerConfig {
        registration_secret: true,
        access_ttl: 1,
        ..Default::default()
    });
    f.login().await.unwrap();
    // The token is within the expiry margin at once: the call refreshes.
    assert_eq!(f.call(&f.provider()).await, Ok(200));
    let tokens = f.server.seen("/token");
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|t| t.params.contains_key("client_secret"))
    );
    assert_eq!(f.server.refusals(), Vec::<String>::new());
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_with_the_resource_before_use() {
    let f = Fixture::new(OAuthServerConfig {
        access_ttl: 30,
        ..Default::default()
    });
    f.login().await.unwrap();
    let before = f.store.load(SERVER).unwrap().unwrap();
    assert_eq!(f.call(&f.provider()).await, Ok(200));
    let refresh = &f.server.seen("/token")[1];
    assert_eq!(refresh.params["grant_type"], "refresh_token");
    assert_eq!(refresh.params["resource"], f.server.mcp_url());
    let after = f.store.load(SERVER).unwrap().unwrap();
    assert_ne!(before.access_token, after.access_token);
    assert_ne!(before.refresh_token, after.refresh_token, "rotated");
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_the_retry_succeeds() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    f.server.expire_access_tokens();
    assert_eq!(f.call(&f.provider()).await, Ok(200));
    assert_eq!(f.server.seen("/token").len(), 2);
}

#[tokio::test]
async fn concurrent_401s_refresh_once_so_a_rotated_refresh_token_is_not_spent_twice() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    f.server.expire_access_tokens();
    let provider = f.provider();
    let (a, b) = tokio::join!(f.call(&provider), f.call(&provider));
    assert_eq!((a, b), (Ok(200), Ok(200)));
    assert_eq!(f.server.seen("/token").len(), 2, "one login, one refresh");
    assert!(f.token_file().exists());
}

#[tokio::test]
async fn a_revoked_refresh_token_means_needs_login_and_the_stale_token_is_dropped() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    f.server.revoke_refresh_tokens();
    f.server.expire_access_tokens();
    assert_eq!(f.call(&f.provider()).await, Err(AuthError::NeedsLogin));
    assert!(!f.token_file().exists());
    // With no login at all, the provider offers no header.
    assert_eq!(
        f.provider().authorization(SERVER, &f.remote).await,
        Ok(None)
    );
}

#[tokio::test]
async fn step_up_on_insufficient_scope_asks_the_next_login_for_the_union_of_scopes() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    f.server.require_scope(Some("mcp:read mcp:admin"));
    assert_eq!(f.call(&f.provider()).await, Err(AuthError::NeedsLogin));
    let stored = f.store.load(SERVER).unwrap().unwrap();
    assert_eq!(stored.wanted_scope.as_deref(), Some("mcp:read mcp:admin"));
    let login = Login::start(&f.store, SERVER, &f.remote, &f.options)
        .await
        .unwrap();
    assert_eq!(login.scope(), Some("mcp:read mcp:admin"));
    let url = login.authorization_url().to_owned();
    let browser = tokio::spawn(async move { reqwest::get(url).await });
    let done = login.finish().await.unwrap();
    browser.await.unwrap().unwrap();
    assert_eq!(done.scope.as_deref(), Some("mcp:read mcp:admin"));
    assert_eq!(f.store.load(SERVER).unwrap().unwrap().wanted_scope, None);
    assert_eq!(f.call(&f.provider()).await, Ok(200));
}

#[tokio::test]
async fn a_token_is_never_sent_to_a_url_it_was_not_obtained_for() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    let moved = RemoteServer {
        url: "https://attacker.example.com/mcp".into(),
        ..f.remote.clone()
    };
    assert_eq!(f.provider().authorization(SERVER, &moved).await, Ok(None));
}

#[tokio::test]
async fn logout_revokes_at_the_server_and_deletes_the_token() {
    let f = Fixture::new(OAuthServerConfig::default());
    f.login().await.unwrap();
    assert_eq!(f.server.refresh_tokens(), 1);
    let out = logout(&f.store, SERVER).await.unwrap();
    assert!(out.had_login);
    assert!(out.revoke_error.is_none());
    assert_eq!(f.server.refresh_tokens(), 0);
    assert!(!f.token_file().exists());
    assert!(!logout(&f.store, SERVER).await.unwrap().had_login);
}

#[tokio::test]
async fn a_callback_with_another_state_is_ignored_and_the_real_one_still_completes() {
    let f = Fixture::new(OAuthServerConfig::default());
    let login = Login::start(&f.store, SERVER, &f.remote, &f.options)
        .await
        .unwrap();
    let url = reqwest::Url::parse(login.authorization_url()).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    // The listener answers only while the login waits for it.
    let finish = tokio::spawn(login.finish());
    let forged = reqwest::get(format!("{redirect}?code=forged&state=guess"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    reqwest::get(url).await.unwrap();
    finish.await.unwrap().unwrap();
    let token = &f.server.seen("/token")[0];
    assert_ne!(token.params["code"], "forged");
}

#[tokio::test]
async fn a_server_offering_no_client_identity_names_the_configuration_fix() {
    let f = Fixture::new(OAuthServerConfig {
        dynamic_registration: false,
        ..Default::default()
    });
    let err = Login::start(&f.store, SERVER, &f.remote, &f.options)
        .await
        .unwrap_err();
    assert!(matches!(err, OAuthError::NoClientIdentity { .. }), "{err}");
    assert!(err.to_string().contains("oauth.clientId"), "{err}");
}

#[tokio::test]
async fn offline_access_is_asked_for_where_the_authorization_server_lists_it() {
    let f = Fixture::new(OAuthServerConfig {
        metadata: MetadataKind::OpenId,
        offline_access: true,
        ..Default::default()
    });
    f.login().await.unwrap();
    assert_eq!(
        f.server.seen("/authorize")[0].params["scope"],
        "mcp:read offline_access"
    );
    let plain = Fixture::new(OAuthServerConfig::default());
    plain.login().await.unwrap();
    assert_eq!(
        plain.server.seen("/authorize")[0].params["scope"],
        "mcp:read"
    );
}
