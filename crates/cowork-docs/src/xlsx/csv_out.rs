//! One sheet of a spec as CSV (RFC 4180, UTF-8).

use super::cell::{CellValue, FormulaResult};
use super::spec::{SpreadsheetSpec, TotalsSpec};
use super::writer::{aggregate_value, result_text, totals_formula};
use crate::error::DocsError;

/// Writes sheet `sheet` (default: the first) as CSV.
pub(crate) fn write_csv(spec: &SpreadsheetSpec, sheet: Option<&str>) -> Result<Vec<u8>, DocsError> {
    super::validate::validate(spec)?;
    let found = match sheet {
        Some(name) => spec.sheets.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = spec.sheets.iter().map(|s| s.name.as_str()).collect();
            DocsError::invalid(
                "sheet",
                format!("there is no sheet named {name:?}; the sheets are {names:?}"),
            )
        })?,
        None => spec
            .sheets
            .first()
            .ok_or_else(|| DocsError::invalid("sheets", "a workbook needs at least one sheet"))?,
    };
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    let csv_err = |e: csv::Error| DocsError::render("CSV", e);
    if !found.columns.is_empty() {
        out.write_record(found.columns.iter().map(|c| c.header.as_bytes()))
            .map_err(csv_err)?;
    }
    let width = found.columns.len();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    for row in &found.rows {
        record.clear();
        for value in row {
            field.clear();
            cell_text(value, &mut field);
            record.push(field.clone());
        }
        // Short rows are padded so every record has the header's width.
        while record.len() < width {
            record.push(String::new());
        }
        out.write_record(&record).map_err(csv_err)?;
    }
    if let Some(totals) = &found.totals {
        let record = totals_record(found, totals);
        out.write_record(&record).map_err(csv_err)?;
    }
    out.into_inner()
        .map_err(|e| DocsError::render("CSV", e.error()))
}

fn cell_text(value: &CellValue, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        CellValue::Empty => {}
        CellValue::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        CellValue::Number(n) => {
            let _ = write!(out, "{n}");
        }
        CellValue::Text(s) => out.push_str(s),
        CellValue::Formula {
            result: Some(r), ..
        } => match r {
            FormulaResult::Number(n) => {
                let _ = write!(out, "{n}");
            }
            FormulaResult::Text(_) | FormulaResult::Bool(_) => out.push_str(&result_text(r)),
        },
        CellValue::Formula {
            formula,
            result: None,
        } => out.push_str(formula),
    }
}

fn totals_record(sheet: &super::spec::SheetSpec, totals: &TotalsSpec) -> Vec<String> {
    let mut record = vec![String::new(); sheet.columns.len().max(1)];
    record[0] = totals.label.clone();
    for (header, aggregate) in &totals.columns {
        let Some(col) = sheet.columns.iter().position(|c| &c.header == header) else {
            continue;
        };
        let value = aggregate_value(*aggregate, sheet.rows.iter().map(|r| r.get(col)));
        record[col] = match value {
            Some(v) => v.to_string(),
            None => totals_formula(
                *aggregate,
                col as u16,
                u32::from(!sheet.columns.is_empty()),
                sheet.rows.len(),
            ),
        };
    }
    record
}
