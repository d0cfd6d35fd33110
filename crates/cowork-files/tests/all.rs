//! cowork-files integration tests: real files in temp folders.

// Clippy allows unwrap in `#[test]` functions but not in the shared
// fixture helpers, which should panic on a broken setup just the same.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on setup failure")]

mod suite;
