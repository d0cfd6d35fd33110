//! Charts (`CreateChart`): bar, column, line, area, pie and scatter, to SVG
//! and PNG, readable at a glance; embedded by the DOCX, PPTX and PDF
//! writers as PNG.
//!
//! Text is set in the Roboto font that charts-rs bundles, so a PNG renders
//! the same on a machine without any system fonts.
//!
//! ```
//! use cowork_docs::chart::{self, ChartKind, ChartSpec, Series};
//! let spec = ChartSpec {
//!     kind: ChartKind::Column,
//!     title: Some("Revenue".into()),
//!     categories: vec!["Q1".into(), "Q2".into()],
//!     series: vec![Series { name: "2025".into(), values: vec![1200.0, 1850.0], points: vec![] }],
//!     x_label: None,
//!     y_label: Some("EUR".into()),
//!     legend: None,
//!     width: None,
//!     height: None,
//!     colors: vec![],
//! };
//! let png = chart::render_png(&spec)?;
//! assert!(png.starts_with(b"\x89PNG"));
//! # Ok::<(), cowork_docs::DocsError>(())
//! ```

mod axis;
mod render;
mod spec;
mod validate;

pub use spec::{ChartKind, ChartSpec, Series};
pub use validate::validate;

use crate::error::DocsError;

/// Width of a chart when the spec gives none, in pixels.
pub const DEFAULT_WIDTH: u32 = 800;
/// Height of a chart when the spec gives none, in pixels.
pub const DEFAULT_HEIGHT: u32 = 480;
/// The smallest width or height a spec may ask for, in pixels.
pub const MIN_SIZE: u32 = 100;
/// The largest width or height a spec may ask for, in pixels.
pub const MAX_SIZE: u32 = 4000;

/// The Okabe–Ito palette: told apart by people with any common colour
/// vision deficiency. Yellow comes late because it is faint on white.
pub const DEFAULT_COLORS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// The chart as an SVG document (`width` × `height` pixels), after
/// [`validate`].
pub fn render_svg(spec: &ChartSpec) -> Result<String, DocsError> {
    validate(spec)?;
    render::svg(spec)
}

/// The chart as a PNG image of `width` × `height` pixels, after
/// [`validate`].
pub fn render_png(spec: &ChartSpec) -> Result<Vec<u8>, DocsError> {
    let svg = render_svg(spec)?;
    charts_rs::svg_to_png(&svg).map_err(|e| DocsError::render("PNG", e))
}
