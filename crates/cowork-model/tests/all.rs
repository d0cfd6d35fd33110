//! The one integration-test binary of cowork-model.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers (fixtures, the responder) panic on setup failure"
)]

mod suite;
