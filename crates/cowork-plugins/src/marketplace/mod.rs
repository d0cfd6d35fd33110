//! Owned by the helper building it; see the crate docs.
