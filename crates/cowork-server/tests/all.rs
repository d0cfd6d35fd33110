//! The server's integration tests: a real listener, a real HTTP client,
//! and a small in-memory backend in place of the daemon's task manager.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on unexpected errors"
)]

mod suite;
