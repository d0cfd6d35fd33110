//! The single integration-test binary of cowork-plugins.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on unexpected errors"
)]

mod suite;
