//! cowork-server's integration tests, one binary (see `suite/`).

// `cfg(test)` marks the helpers in `suite` as test code for clippy, which
// allows them to unwrap as the tests themselves do.
#[cfg(test)]
mod suite;
