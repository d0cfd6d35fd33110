use super::*;

pub(crate) fn token(access: &str) -> StoredToken {
    StoredToken {
        access_token: Secret::new(access),
        refresh_token: Some(Secret::new("refresh-secret")),
        expires_at: Some(2_000_000_000),
        scope: Some("read".into()),
        issuer: "https://auth.example.com".into(),
        resource: "https://mcp.example.com/mcp".into(),
        server_url: "https://mcp.example.com/mcp".into(),
        token_endpoint: "https://auth.example.com/token".into(),
        revocation_endpoint: None,
        client: ClientCredentials {
            client_id: "cowork".into(),
            client_secret: Some(Secret::new("client-secret")),
            auth: TokenEndpointAuth::ClientSecretPost,
        },
        wanted_scope: None,
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_saved_token_reads_back_and_its_file_and_folders_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let mcp = dir.path().join("data/mcp");
    let store = TokenStore::new(mcp.clone());
    store.save("slack", &token("access-secret")).unwrap();
    assert_eq!(store.load("slack").unwrap(), Some(token("access-secret")));
    let path = store.token_path("slack").unwrap();
    assert_eq!(path, mcp.join("tokens/slack.json"));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&mcp.join("tokens")), 0o700);
    assert_eq!(mode(&mcp), 0o700);
    // Overwriting leaves no temporary file behind.
    store.save("slack", &token("other")).unwrap();
    let names: Vec<_> = std::fs::read_dir(mcp.join("tokens")).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn a_tokens_folder_created_loose_is_made_private() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o755)).unwrap();
    TokenStore::new(dir.path().to_owned())
        .save("s", &token("a"))
        .unwrap();
    assert_eq!(mode(&tokens), 0o700);
}

#[test]
fn debug_output_never_shows_a_credential() {
    let shown = format!("{:?}", token("access-secret"));
    for secret in ["access-secret", "refresh-secret", "client-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn any_server_name_maps_to_one_file_inside_the_tokens_folder() {
    // Plugins name connectors "google calendar"; a hostile one "../evil".
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().to_owned());
    let names = [
        "google calendar",
        "../evil",
        "a/b",
        ".hidden",
        "x\0y",
        "a%2Fb",
    ];
    for name in names {
        store.save(name, &token(name)).unwrap();
        let path = store.token_path(name).unwrap();
        assert_eq!(path.parent().unwrap(), dir.path().join("tokens"), "{name}");
    }
    for name in names {
        let loaded = store.load(name).unwrap().unwrap();
        assert_eq!(loaded.access_token.expose(), name, "{name}");
    }
    assert!(!dir.path().join("evil.json").exists());
    assert!(matches!(
        store.save("", &token("a")).unwrap_err(),
        OAuthError::BadServerName { .. }
    ));
}

#[test]
fn registrations_are_kept_per_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().to_owned());
    let reg = |id: &str| ClientRegistration {
        client: ClientCredentials {
            client_id: id.into(),
            client_secret: None,
            auth: TokenEndpointAuth::None,
        },
        redirect_uri: "http://127.0.0.1:1234/callback".into(),
    };
    store
        .save_registration("s", "https://a", &reg("one"))
        .unwrap();
    store
        .save_registration("s", "https://b", &reg("two"))
        .unwrap();
    assert_eq!(
        store.registration("s", "https://a").unwrap(),
        Some(reg("one"))
    );
    assert_eq!(
        store.registration("s", "https://b").unwrap(),
        Some(reg("two"))
    );
    assert_eq!(store.registration("s", "https://c").unwrap(), None);
}

#[test]
fn removing_a_missing_login_says_there_was_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().to_owned());
    assert!(!store.remove("s").unwrap());
    store.save("s", &token("a")).unwrap();
    assert!(store.remove("s").unwrap());
    assert_eq!(store.load("s").unwrap(), None);
}

#[test]
fn a_damaged_token_file_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().to_owned());
    store.save("s", &token("a")).unwrap();
    std::fs::write(store.token_path("s").unwrap(), "{not json").unwrap();
    let err = store.load("s").unwrap_err();
    assert!(err.to_string().contains("tokens/s.json"), "{err}");
}
