//! Native writers and readers of the documents people ask an agent for:
//! spreadsheets (XLSX, CSV), Word documents (DOCX), presentations (PPTX),
//! PDF reports and charts (PNG, SVG) — produced in milliseconds, with no
//! Python or LibreOffice at run time — and readers that turn XLSX, XLS,
//! ODS, CSV, DOCX, PPTX and PDF back into text a model can use.
//!
//! Every writer takes a spec: a plain data type that is deserialized from
//! JSON ([`spec::parse`] names the offending field on error) and documented
//! by a JSON schema ([`spec::schema`]) that tools show the model. Writers
//! return the file's bytes; where they are written is the caller's business
//! (cowork writes them through its change journal). Images named by a spec
//! are loaded through [`Assets`], so the caller decides what may be read.
//!
//! This crate knows nothing of tasks, tools or folders.

pub mod assets;
pub mod chart;
pub mod docx;
mod error;
pub mod markdown;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod pptx;
pub mod read;
pub mod report;
pub mod spec;
pub mod xlsx;

pub use assets::{Assets, DirAssets, NoAssets};
pub use error::DocsError;
