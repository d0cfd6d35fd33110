//! The integration tests of cowork-plugins, in one binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on unexpected errors"
)]

mod suite;
