//! The sandbox's integration tests: functional checks, limits, and an
//! escape suite in which every attempt must fail.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on setup failure"
)]

mod suite;
