//! The client scenarios of `@modelcontextprotocol/conformance`, run
//! against `examples/mcp_conformance_client.rs` (which `cargo test`
//! builds). The suite starts a server per scenario, runs the client with
//! its URL, and checks what the client sent.
//!
//! Not run here: `elicitation-sep1034-client-defaults` (cowork declares no
//! elicitation capability: a connector cannot question the person in the
//! middle of a call, so rmcp declines and all 6 checks fail by design) and
//! the `auth/*` scenarios, which need the OAuth provider wired into the
//! client.

use std::path::PathBuf;
use std::process::Command;

/// Scenarios cowork must pass.
const SCENARIOS: [&str; 3] = ["initialize", "tools_call", "sse-retry"];

fn example_client() -> PathBuf {
    // target/debug/deps/all-… → target/debug/examples/…
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    let client = debug.join("examples/mcp_conformance_client");
    assert!(client.is_file(), "{} was not built", client.display());
    client
}

/// "Passed: 3/3, …" → (3, 3).
fn passed(output: &str) -> Option<(u32, u32)> {
    let line = output.lines().find(|l| l.starts_with("Passed: "))?;
    let counts = line.strip_prefix("Passed: ")?.split(',').next()?;
    let (pass, total) = counts.split_once('/')?;
    Some((pass.parse().ok()?, total.parse().ok()?))
}

#[test]
fn the_conformance_suites_client_scenarios_pass() {
    let Some(node) = cowork_test_support::consumers::npm_bin("node") else {
        return;
    };
    let Some(suite) =
        cowork_test_support::consumers::npm_package("@modelcontextprotocol/conformance")
    else {
        return;
    };
    let client = example_client();
    let results = tempfile::tempdir().unwrap();
    let mut checks = (0, 0);
    for scenario in SCENARIOS {
        let out = Command::new(&node)
            .arg(&suite)
            .args(["client", "--command"])
            .arg(&client)
            .args(["--scenario", scenario])
            .current_dir(results.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let (pass, total) =
            passed(&text).unwrap_or_else(|| panic!("{scenario}: no result in\n{text}"));
        assert!(
            out.status.success() && pass == total,
            "{scenario}: {pass}/{total}\n{text}"
        );
        checks = (checks.0 + pass, checks.1 + total);
    }
    assert_eq!(checks, (5, 5));
}
