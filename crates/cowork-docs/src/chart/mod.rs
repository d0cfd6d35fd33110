//! Charts (`CreateChart`): bar, column, line, area, pie and scatter, to SVG
//! and PNG, readable at a glance; embedded by the DOCX, PPTX and PDF
//! writers as PNG.

mod spec;

pub use spec::{ChartKind, ChartSpec, Series};
