//! The one integration-test binary of cowork-test-support.

// Clippy's test allowances cover `#[test]` functions, not the helpers they
// share; a helper that cannot do its job must fail the test loudly.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on failure, like the tests that call them"
)]

mod suite;
