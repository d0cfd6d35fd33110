//! Checking a chart spec before drawing it, with errors that name the field
//! and say what is expected, so a model can fix its spec in one go.

use super::spec::{ChartKind, ChartSpec, Series};
use super::{MAX_SIZE, MIN_SIZE};
use crate::error::DocsError;

/// Checks that `spec` can be drawn: the data fits its kind, every number is
/// finite, the size and the colours are valid. The error names the field
/// (`series[1].values`) and what is wrong with it.
pub fn validate(spec: &ChartSpec) -> Result<(), DocsError> {
    check_size("width", spec.width)?;
    check_size("height", spec.height)?;
    for (i, color) in spec.colors.iter().enumerate() {
        if !is_hex_color(color) {
            return Err(DocsError::invalid(
                format!("colors[{i}]"),
                format!("`{color}` is not a colour; give `#RRGGBB`, e.g. `#0072B2`"),
            ));
        }
    }
    if spec.series.is_empty() {
        return Err(DocsError::invalid(
            "series",
            "no data: give at least one series, e.g. [{\"name\": \"Sales\", \"values\": [1, 2, 3]}]",
        ));
    }
    match spec.kind {
        ChartKind::Scatter => check_scatter(spec),
        ChartKind::Pie => {
            if spec.series.len() != 1 {
                return Err(DocsError::invalid(
                    "series",
                    format!(
                        "a pie takes exactly one series (its values are the slices), got {}; \
                         use a column chart to compare several series",
                        spec.series.len()
                    ),
                ));
            }
            check_category_values(spec)?;
            check_pie_values(&spec.series[0])
        }
        ChartKind::Bar | ChartKind::Column | ChartKind::Line | ChartKind::Area => {
            check_category_values(spec)
        }
    }
}

fn check_size(field: &str, value: Option<u32>) -> Result<(), DocsError> {
    match value {
        Some(v) if !(MIN_SIZE..=MAX_SIZE).contains(&v) => Err(DocsError::invalid(
            field,
            format!("{v} pixels is out of range; give {MIN_SIZE} to {MAX_SIZE} (or leave it out)"),
        )),
        _ => Ok(()),
    }
}

fn is_hex_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn kind_name(kind: ChartKind) -> &'static str {
    match kind {
        ChartKind::Bar => "bar",
        ChartKind::Column => "column",
        ChartKind::Line => "line",
        ChartKind::Area => "area",
        ChartKind::Pie => "pie",
        ChartKind::Scatter => "scatter",
    }
}

/// Values must also fit the `f32` charts-rs draws with: 1e300 would become
/// infinity there.
fn check_number(path: impl FnOnce() -> String, value: f64) -> Result<(), DocsError> {
    if !value.is_finite() {
        return Err(DocsError::invalid(
            path(),
            "not a finite number; give a plain number (use 0 for a missing value)",
        ));
    }
    if value.abs() > f64::from(f32::MAX) {
        return Err(DocsError::invalid(
            path(),
            format!(
                "{value} is too large to draw; scale the data (e.g. to millions) and say so in the axis label"
            ),
        ));
    }
    Ok(())
}

fn check_category_values(spec: &ChartSpec) -> Result<(), DocsError> {
    let kind = kind_name(spec.kind);
    if spec.categories.is_empty() {
        return Err(DocsError::invalid(
            "categories",
            format!(
                "a {kind} chart needs category labels, one per value, e.g. [\"Q1\", \"Q2\", \"Q3\"]"
            ),
        ));
    }
    let n = spec.categories.len();
    for (i, series) in spec.series.iter().enumerate() {
        if !series.points.is_empty() {
            return Err(DocsError::invalid(
                format!("series[{i}].points"),
                format!(
                    "only scatter charts take points; a {kind} chart takes `values`, one per category"
                ),
            ));
        }
        if series.values.is_empty() {
            return Err(DocsError::invalid(
                format!("series[{i}].values"),
                format!("empty; give one number per category ({n} categories)"),
            ));
        }
        if series.values.len() != n {
            return Err(DocsError::invalid(
                format!("series[{i}].values"),
                format!(
                    "{} values for {n} categories; give exactly one value per category",
                    series.values.len()
                ),
            ));
        }
        for (j, value) in series.values.iter().enumerate() {
            check_number(|| format!("series[{i}].values[{j}]"), *value)?;
        }
    }
    Ok(())
}

fn check_pie_values(series: &Series) -> Result<(), DocsError> {
    for (j, value) in series.values.iter().enumerate() {
        if *value < 0.0 {
            return Err(DocsError::invalid(
                format!("series[0].values[{j}]"),
                format!(
                    "{value} is negative; pie slices must be 0 or more (use a bar chart for signed data)"
                ),
            ));
        }
    }
    if series.values.iter().all(|v| *v == 0.0) {
        return Err(DocsError::invalid(
            "series[0].values",
            "every value is 0, so there is no pie to draw; give at least one positive value",
        ));
    }
    Ok(())
}

fn check_scatter(spec: &ChartSpec) -> Result<(), DocsError> {
    if !spec.categories.is_empty() {
        return Err(DocsError::invalid(
            "categories",
            "scatter charts do not use categories (x comes from each point); leave it out",
        ));
    }
    for (i, series) in spec.series.iter().enumerate() {
        if !series.values.is_empty() {
            return Err(DocsError::invalid(
                format!("series[{i}].values"),
                "scatter charts take `points` as [x, y] pairs, e.g. [[1.5, 20], [2, 31]], not `values`",
            ));
        }
        if series.points.is_empty() {
            return Err(DocsError::invalid(
                format!("series[{i}].points"),
                "empty; give at least one [x, y] pair, e.g. [[1.5, 20], [2, 31]]",
            ));
        }
        for (j, [x, y]) in series.points.iter().enumerate() {
            check_number(|| format!("series[{i}].points[{j}][0]"), *x)?;
            check_number(|| format!("series[{i}].points[{j}][1]"), *y)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
