//! The scheduler's integration tests, driven through the public API only,
//! as the daemon will drive it.

// `cfg(test)` marks the helpers in `suite` as test code for clippy, which
// allows them to unwrap as the tests themselves do.
#[cfg(test)]
mod suite;
