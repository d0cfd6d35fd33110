//! Checks of a spec's structure before anything is written, with errors
//! that name the field: sheet names, row lengths, header references,
//! ranges and charts. Cell values are typed while writing (one pass over
//! possibly a million cells).

use std::collections::HashSet;

use super::cell::{A1Range, Cell, Corners, parse_cell, parse_range};
use super::spec::{
    Comparison, ConditionalFormatSpec, ConditionalRule, SheetChart, SheetChartKind, SheetSpec,
    SpreadsheetSpec,
};
use crate::error::DocsError;

/// Excel's row limit.
const MAX_ROWS: usize = 1_048_576;
/// Excel's column limit.
const MAX_COLUMNS: usize = 16_384;

/// Checks everything but the cell values.
pub(crate) fn validate(spec: &SpreadsheetSpec) -> Result<(), DocsError> {
    if spec.sheets.is_empty() {
        return Err(DocsError::invalid(
            "sheets",
            "a workbook needs at least one sheet: {\"name\": \"Sheet1\", \"columns\": [...], \"rows\": [...]}",
        ));
    }
    let mut names = HashSet::new();
    for (i, sheet) in spec.sheets.iter().enumerate() {
        let path = format!("sheets[{i}]");
        check_sheet_name(&sheet.name, &format!("{path}.name"))?;
        if !names.insert(sheet.name.to_lowercase()) {
            return Err(DocsError::invalid(
                format!("{path}.name"),
                format!(
                    "a sheet named {:?} already exists (names are compared ignoring case); give each sheet its own name",
                    sheet.name
                ),
            ));
        }
        check_sheet(sheet, &path)?;
    }
    for (i, chart) in spec.charts.iter().enumerate() {
        check_chart(spec, chart, &format!("charts[{i}]"))?;
    }
    Ok(())
}

fn check_sheet_name(name: &str, path: &str) -> Result<(), DocsError> {
    let len = name.chars().count();
    let message = if name.trim().is_empty() {
        "a sheet name cannot be empty".to_owned()
    } else if len > 31 {
        format!("{name:?} has {len} characters; Excel allows at most 31")
    } else if let Some(c) = name.chars().find(|c| "[]:*?/\\".contains(*c)) {
        format!("{name:?} contains `{c}`; sheet names cannot contain [ ] : * ? / \\")
    } else if name.starts_with('\'') || name.ends_with('\'') {
        format!("{name:?} starts or ends with an apostrophe, which Excel does not allow")
    } else if name.eq_ignore_ascii_case("history") {
        "\"History\" is reserved by Excel; choose another name".to_owned()
    } else {
        return Ok(());
    };
    Err(DocsError::invalid(path, message))
}

fn check_sheet(sheet: &SheetSpec, path: &str) -> Result<(), DocsError> {
    let width = sheet.columns.len();
    if width > MAX_COLUMNS {
        return Err(DocsError::invalid(
            format!("{path}.columns"),
            format!("{width} columns; Excel allows at most {MAX_COLUMNS}"),
        ));
    }
    let extra = usize::from(!sheet.columns.is_empty()) + usize::from(sheet.totals.is_some());
    if sheet.rows.len() + extra > MAX_ROWS {
        return Err(DocsError::invalid(
            format!("{path}.rows"),
            format!(
                "{} rows; Excel allows at most {MAX_ROWS} per sheet (header and totals included): split the data over several sheets",
                sheet.rows.len()
            ),
        ));
    }
    for (c, column) in sheet.columns.iter().enumerate() {
        let cpath = format!("{path}.columns[{c}]");
        if column.decimals.is_some_and(|d| d > 10) {
            return Err(DocsError::invalid(
                format!("{cpath}.decimals"),
                "at most 10 decimals",
            ));
        }
        if let Some(w) = column.width
            && !(0.0..=255.0).contains(&w)
        {
            return Err(DocsError::invalid(
                format!("{cpath}.width"),
                format!("{w} is not a column width; give 0–255 characters"),
            ));
        }
    }
    let max_len = if width == 0 { MAX_COLUMNS } else { width };
    for (r, row) in sheet.rows.iter().enumerate() {
        if row.len() > max_len {
            return Err(DocsError::invalid(
                format!("{path}.rows[{r}]"),
                format!(
                    "the row has {} values but the sheet has {width} columns; add a column or remove values",
                    row.len()
                ),
            ));
        }
    }
    if let Some(totals) = &sheet.totals {
        for header in totals.columns.keys() {
            column_index(sheet, header, &format!("{path}.totals.columns.{header}"))?;
        }
    }
    if let Some(table) = &sheet.table {
        if sheet.columns.is_empty() {
            return Err(DocsError::invalid(
                format!("{path}.table"),
                "a table needs `columns` (its headers)",
            ));
        }
        let mut seen = HashSet::new();
        for (c, column) in sheet.columns.iter().enumerate() {
            if !seen.insert(column.header.to_lowercase()) || column.header.trim().is_empty() {
                return Err(DocsError::invalid(
                    format!("{path}.columns[{c}].header"),
                    format!(
                        "{:?}: a table's headers must be non-empty and unique",
                        column.header
                    ),
                ));
            }
        }
        if let Some(style) = &table.style {
            super::styles::table_style(style).ok_or_else(|| {
                DocsError::invalid(
                    format!("{path}.table.style"),
                    format!(
                        "{style:?} is not a table style; use light1–light21, medium1–medium28 or dark1–dark11"
                    ),
                )
            })?;
        }
    }
    for (i, cf) in sheet.conditional_formats.iter().enumerate() {
        conditional_range(sheet, cf, &format!("{path}.conditional_formats[{i}]"))?;
    }
    Ok(())
}

/// The index of the column headed `header`.
pub(crate) fn column_index(sheet: &SheetSpec, header: &str, path: &str) -> Result<u16, DocsError> {
    sheet
        .columns
        .iter()
        .position(|c| c.header == header)
        .and_then(|i| u16::try_from(i).ok())
        .ok_or_else(|| {
            let headers: Vec<&str> = sheet.columns.iter().map(|c| c.header.as_str()).collect();
            DocsError::invalid(
                path,
                format!("no column is headed {header:?}; the headers are {headers:?}"),
            )
        })
}

/// The cells a conditional format covers (0-based, inclusive), checked.
pub(crate) fn conditional_range(
    sheet: &SheetSpec,
    cf: &ConditionalFormatSpec,
    path: &str,
) -> Result<Corners, DocsError> {
    let cells = match (&cf.column, &cf.range) {
        (Some(header), None) => {
            let col = column_index(sheet, header, &format!("{path}.column"))?;
            let first = u32::from(!sheet.columns.is_empty());
            let last = first + (sheet.rows.len().max(1) as u32) - 1;
            ((first, col), (last, col))
        }
        (None, Some(range)) => {
            let parsed =
                parse_range(range).map_err(|m| DocsError::invalid(format!("{path}.range"), m))?;
            if let Some(other) = parsed.sheet.as_ref().filter(|s| **s != sheet.name) {
                return Err(DocsError::invalid(
                    format!("{path}.range"),
                    format!(
                        "{range:?} is on sheet {other:?}; a conditional format applies to its own sheet ({:?}): put it under that sheet",
                        sheet.name
                    ),
                ));
            }
            (parsed.first, parsed.last)
        }
        (Some(_), Some(_)) | (None, None) => {
            return Err(DocsError::invalid(
                path,
                "give exactly one of `column` (a header) or `range` (e.g. \"C2:C20\")",
            ));
        }
    };
    match &cf.rule {
        ConditionalRule::Cell {
            operator, value2, ..
        } => {
            let needs_two = matches!(operator, Comparison::Between | Comparison::NotBetween);
            if needs_two && value2.is_none() {
                return Err(DocsError::invalid(
                    format!("{path}.rule.value2"),
                    "`between` and `not_between` need `value2`, the upper bound",
                ));
            }
        }
        ConditionalRule::ColorScale {
            min_color,
            mid_color,
            max_color,
            ..
        } => {
            for (name, color) in [
                ("min_color", min_color),
                ("mid_color", mid_color),
                ("max_color", max_color),
            ] {
                check_color(color.as_deref(), &format!("{path}.rule.{name}"))?;
            }
        }
        ConditionalRule::DataBar { color } => {
            check_color(color.as_deref(), &format!("{path}.rule.color"))?;
        }
    }
    Ok(cells)
}

fn check_color(color: Option<&str>, path: &str) -> Result<(), DocsError> {
    match color {
        Some(c) if super::styles::parse_color(c).is_none() => Err(DocsError::invalid(
            path,
            format!("{c:?} is not a colour; write #RRGGBB, e.g. \"#1F77B4\""),
        )),
        Some(_) | None => Ok(()),
    }
}

fn check_chart(spec: &SpreadsheetSpec, chart: &SheetChart, path: &str) -> Result<(), DocsError> {
    if chart.series.is_empty() {
        return Err(DocsError::invalid(
            format!("{path}.series"),
            "a chart needs at least one series: [{\"name\": \"Amount\", \"values\": \"Expenses!C2:C9\"}]",
        ));
    }
    if chart.kind == SheetChartKind::Pie && chart.series.len() != 1 {
        return Err(DocsError::invalid(
            format!("{path}.series"),
            format!(
                "a pie chart takes exactly one series, not {}; use a column chart to compare several",
                chart.series.len()
            ),
        ));
    }
    if chart.kind == SheetChartKind::Scatter && chart.categories.is_none() {
        return Err(DocsError::invalid(
            format!("{path}.categories"),
            "a scatter chart needs `categories`: the range of x values",
        ));
    }
    let home = chart_sheet(spec, chart, path)?;
    if let Some(categories) = &chart.categories {
        chart_range(spec, categories, &home, &format!("{path}.categories"))?;
    }
    for (i, series) in chart.series.iter().enumerate() {
        chart_range(
            spec,
            &series.values,
            &home,
            &format!("{path}.series[{i}].values"),
        )?;
    }
    if let Some(anchor) = &chart.anchor
        && parse_cell(anchor).is_none()
    {
        return Err(DocsError::invalid(
            format!("{path}.anchor"),
            format!("{anchor:?} is not a cell; write the top-left cell like \"F2\""),
        ));
    }
    for (name, value) in [("width", chart.width), ("height", chart.height)] {
        if let Some(v) = value
            && !(100..=4000).contains(&v)
        {
            return Err(DocsError::invalid(
                format!("{path}.{name}"),
                format!("{v} pixels is out of range; give 100–4000"),
            ));
        }
    }
    Ok(())
}

/// The name of the sheet a chart is placed on, checked.
pub(crate) fn chart_sheet(
    spec: &SpreadsheetSpec,
    chart: &SheetChart,
    path: &str,
) -> Result<String, DocsError> {
    if let Some(sheet) = &chart.sheet {
        return find_sheet(spec, sheet, &format!("{path}.sheet"));
    }
    let first = chart
        .series
        .first()
        .map(|s| s.values.as_str())
        .unwrap_or_default();
    match parse_range(first) {
        Ok(A1Range {
            sheet: Some(sheet), ..
        }) => find_sheet(spec, &sheet, &format!("{path}.series[0].values")),
        Ok(A1Range { sheet: None, .. }) | Err(_) => Ok(spec
            .sheets
            .first()
            .map(|s| s.name.clone())
            .unwrap_or_default()),
    }
}

fn find_sheet(spec: &SpreadsheetSpec, name: &str, path: &str) -> Result<String, DocsError> {
    spec.sheets
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.name.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = spec.sheets.iter().map(|s| s.name.as_str()).collect();
            DocsError::invalid(
                path,
                format!("there is no sheet named {name:?}; the sheets are {names:?}"),
            )
        })
}

/// A chart range resolved to (sheet, first, last), checked.
pub(crate) fn chart_range(
    spec: &SpreadsheetSpec,
    range: &str,
    home: &str,
    path: &str,
) -> Result<(String, Cell, Cell), DocsError> {
    let parsed = parse_range(range).map_err(|m| DocsError::invalid(path, m))?;
    let sheet = match parsed.sheet {
        Some(name) => find_sheet(spec, &name, path)?,
        None => home.to_owned(),
    };
    if parsed.first.0 != parsed.last.0 && parsed.first.1 != parsed.last.1 {
        return Err(DocsError::invalid(
            path,
            format!(
                "{range:?} spans several rows and columns; give one row or one column, e.g. Expenses!C2:C9"
            ),
        ));
    }
    Ok((sheet, parsed.first, parsed.last))
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
