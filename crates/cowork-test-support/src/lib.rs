//! Test support shared by every cowork crate's tests: above all
//! [`MockModelServer`], a model server on 127.0.0.1 that replays a scripted
//! conversation over both wire formats cowork speaks (Anthropic Messages
//! streaming at `url()`, OpenAI chat completions at `url() + "/v1"`), so
//! end-to-end tests run the real HTTP clients and the real `cowork` binary
//! with no network and no key. [`sse`] builds the same event streams as
//! strings for parser unit tests. [`browser::Browser`] is a real headless
//! Chromium, driven with the small WebDriver client in [`webdriver`], for
//! testing the web UI as people use it.
//!
//! It owns no production behaviour and is only ever a dev-dependency. The
//! script format itself belongs to `cowork_protocol::script`.
//!
//! The server checks requests as the providers do (keys, required fields,
//! `stream: true`, a prompt within the script's `context_window` at 4 bytes
//! a token) and answers refusals with the provider's error shapes. It picks
//! the turn to replay from the request itself (the number of assistant
//! messages in it), so a task killed and resumed gets the same answer again.
//!
//! ```no_run
//! use cowork_test_support::{MockModelServer, script};
//!
//! let server = MockModelServer::start(script(serde_json::json!({
//!     "turns": [{"text": "Hello!"}]
//! })));
//! let base_url = server.url(); // point the Anthropic client here
//! // ... run the client ...
//! assert_eq!(server.requests().len(), 1);
//! ```

use std::path::PathBuf;

use cowork_protocol::script::Script;

pub mod browser;
pub mod consumers;
pub mod oauth_server;
mod routes;
mod server;
pub mod sse;
pub mod timed;
pub mod webdriver;

pub use server::{MockModelServer, MockServerError, RecordedRequest};

/// The shared fixtures directory, `<repo>/../shared/fixtures`: verbatim
/// provider streams, plugin and skill samples. It sits beside CI's
/// checkout but not beside a bare clone, so tests that need it call this
/// and return early on `None`: a one-line note on stderr says what was
/// skipped. `.ci/run` sets `COWORK_REQUIRE_FIXTURES`, and there a missing
/// folder fails the test instead.
///
/// # Panics
/// When the directory is missing and `COWORK_REQUIRE_FIXTURES` is set.
pub fn fixtures_dir() -> Option<PathBuf> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/cowork-test-support -> repository root -> its parent.
    let beside_repo = manifest
        .ancestors()
        .nth(3)
        .unwrap_or(manifest)
        .to_path_buf();
    let dir = beside_repo.join("shared").join("fixtures");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("COWORK_REQUIRE_FIXTURES").is_none(),
        "the shared fixtures directory {} does not exist (COWORK_REQUIRE_FIXTURES is set); it must sit beside the repository (`<repo>/../shared/fixtures`)",
        dir.display()
    );
    #[expect(
        clippy::print_stderr,
        reason = "the skip note is for the person running the tests"
    )]
    {
        eprintln!(
            "note: {} is absent; skipping a check against the shared fixtures (.ci/run requires them)",
            dir.display()
        );
    }
    None
}

/// A [`Script`] from JSON, for tests.
///
/// # Panics
/// When the JSON is not a valid script, with serde's reason (an unknown
/// field names itself).
pub fn script(json: serde_json::Value) -> Script {
    serde_json::from_value(json).unwrap_or_else(|error| panic!("invalid mock script: {error}"))
}
