//! `cowork mcp login` and `logout` end to end, against the test
//! authorization server, with an HTTP client in the browser's place.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Stdio};

use cowork_test_support::oauth_server::{OAuthServer, OAuthServerConfig};

use super::harness::{Env, stderr};

fn write_mcp_json(env: &Env, name: &str, url: &str) {
    let file = serde_json::json!({"mcpServers": {name: {"type": "http", "url": url}}});
    std::fs::write(env.home.path().join("mcp.json"), file.to_string()).unwrap();
}

/// `cowork` as [`Env::cowork`] runs it, as a plain process whose output
/// can be read while it runs.
fn cowork(env: &Env) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cowork"));
    cmd.env("COWORK_HOME", env.home.path())
        .env("COWORK_CONFIG", env.home.path().join("config.toml"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("COWORK_LOG");
    cmd
}

#[test]
fn mcp_login_prints_the_url_waits_for_the_sign_in_and_logout_forgets_it() {
    let server = OAuthServer::start(OAuthServerConfig::default());
    let env = Env::new();
    write_mcp_json(&env, "docs", &server.mcp_url());

    let mut child = cowork(&env)
        .args(["mcp", "login", "docs"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let url = loop {
        let mut line = String::new();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "no URL in: {printed}"
        );
        printed.push_str(&line);
        if let Some(url) = line
            .trim()
            .strip_prefix(&format!("{}/authorize?", server.url()))
        {
            break format!("{}/authorize?{url}", server.url());
        }
    };
    assert!(printed.contains("sign in to docs"), "{printed}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let page = runtime.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
    assert!(page.contains("You can close this tab"), "{page}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        rest.contains("logged in to docs (scopes mcp:read)"),
        "{rest}"
    );
    let token = env.home.path().join("mcp/tokens/docs.json");
    let mode = std::fs::metadata(&token).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(server.refusals().is_empty(), "{:?}", server.refusals());

    let out = env
        .cowork()
        .args(["mcp", "logout", "docs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("logged out of docs"));
    assert!(!token.exists());
    assert_eq!(server.refresh_tokens(), 0, "revoked at the server");
}

#[test]
fn mcp_login_to_an_unknown_server_names_the_file_and_the_fix() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["mcp", "login", "nowhere"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no connector named `nowhere`"), "{err}");
    assert!(err.contains("cowork mcp add nowhere --url URL"), "{err}");
}

#[test]
fn mcp_login_to_a_server_without_s256_is_refused() {
    let server = OAuthServer::start(OAuthServerConfig {
        s256: false,
        ..Default::default()
    });
    let env = Env::new();
    write_mcp_json(&env, "weak", &server.mcp_url());
    let out = env
        .cowork()
        .args(["mcp", "login", "weak"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("does not support PKCE with S256; cowork refuses to log in without it"),
        "{err}"
    );
}
