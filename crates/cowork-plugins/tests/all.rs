//! The crate's single integration-test binary: one `suite/*_tests.rs`
//! module per part of the crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on unexpected errors"
)]

mod suite;
