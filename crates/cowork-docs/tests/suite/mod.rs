//! Shared helpers: running the real consumers of our files.

mod chart;
mod docx;
mod limits;
#[cfg(feature = "pdf")]
mod pdf;
mod pptx;
mod robustness;
mod xlsx;

pub use cowork_test_support::consumers;
