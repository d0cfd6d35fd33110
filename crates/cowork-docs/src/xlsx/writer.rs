//! Sheets into a rust_xlsxwriter workbook: typed cells with per-column
//! formats, header band, totals, widths, panes, filters, tables and
//! conditional formats.

use rust_xlsxwriter::{
    Color, Format, FormatAlign, FormatBorder, Formula, Table, TableColumn, TableStyle, Worksheet,
};

use super::cell::{CellValue, FormulaResult, Typed, column_name, typed};
use super::spec::{Aggregate, ColumnSpec, ColumnType, SheetSpec};
use super::styles::{add_conditional, table_style};
use super::validate::{column_index, conditional_range};
use crate::error::DocsError;

/// The header band's fill.
const HEADER_FILL: u32 = 0x1F4E78;
/// Rows sampled to fit column widths: enough for what a screen shows, and
/// cheap on a million-row sheet.
const WIDTH_SAMPLE_ROWS: usize = 1000;
const MIN_WIDTH: f64 = 8.0;
const MAX_WIDTH: f64 = 60.0;

pub(crate) fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> DocsError {
    DocsError::render("XLSX", e)
}

/// How one column's cells are written.
struct ColumnPlan {
    kind: ColumnType,
    format: Format,
    /// Whether `format` differs from the default.
    formatted: bool,
    totals_format: Format,
    /// For `auto` columns: ISO strings recognised as dates.
    auto_date: Format,
    auto_datetime: Format,
    decimals: usize,
    symbol_len: usize,
    /// Widest content seen, in characters.
    widest: usize,
}

/// Writes `sheet` (index `index` in the spec) into `ws`; returns the number
/// of columns used, so charts can be placed beside the data.
pub(crate) fn write_sheet(
    ws: &mut Worksheet,
    sheet: &SheetSpec,
    index: usize,
) -> Result<u16, DocsError> {
    let path = format!("sheets[{index}]");
    ws.set_name(&sheet.name)
        .map_err(|e| DocsError::invalid(format!("{path}.name"), e.to_string()))?;
    // Formulas without a known result get an empty one, so LibreOffice
    // computes them on open (Excel recalculates on load regardless).
    ws.set_formula_result_default("");

    let has_header = !sheet.columns.is_empty();
    let first_data_row = u32::from(has_header);
    let width = sheet
        .columns
        .len()
        .max(sheet.rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut plans: Vec<ColumnPlan> = (0..width).map(|c| plan(sheet.columns.get(c))).collect();

    let header_format = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(HEADER_FILL))
        .set_border_bottom(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    if has_header && sheet.table.is_none() {
        for (c, column) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, &column.header, &header_format)
                .map_err(xlsx_err)?;
        }
        ws.set_row_height(0, 20).map_err(xlsx_err)?;
    }

    for (c, plan) in plans.iter().enumerate() {
        if plan.formatted {
            ws.set_column_format(c as u16, &plan.format)
                .map_err(xlsx_err)?;
        }
    }
    let mut number_text = String::new();
    for (r, row) in sheet.rows.iter().enumerate() {
        let excel_row = first_data_row + r as u32;
        let sample = r < WIDTH_SAMPLE_ROWS;
        for (c, value) in row.iter().enumerate() {
            let plan = &mut plans[c];
            let cell = typed(value, plan.kind)
                .map_err(|m| DocsError::invalid(format!("{path}.rows[{r}][{c}]"), m))?;
            let col = c as u16;
            write_cell(ws, excel_row, col, cell, plan, &mut number_text)?;
            if sample {
                plan.widest = plan.widest.max(display_len(cell, plan));
            }
        }
    }
    let last_data_row = (first_data_row + sheet.rows.len() as u32).max(first_data_row + 1) - 1;

    if let Some(totals) = &sheet.totals {
        write_totals(ws, sheet, totals, &mut plans, first_data_row, &path)?;
    }

    let filter_buttons = has_header && (sheet.table.is_some() || sheet.autofilter);
    for (c, plan) in plans.iter().enumerate() {
        let spec_width = sheet.columns.get(c).and_then(|col| col.width);
        let header_len = sheet
            .columns
            .get(c)
            .map_or(0, |col| col.header.chars().count());
        let header_need = header_len as f64 * 1.1 + if filter_buttons { 4.0 } else { 1.5 };
        let fitted = (plan.widest as f64 + 2.0)
            .max(header_need)
            .clamp(MIN_WIDTH, MAX_WIDTH);
        ws.set_column_width(c as u16, spec_width.unwrap_or(fitted))
            .map_err(xlsx_err)?;
    }

    // Printed, a sheet fits the page's width, with the header on every page.
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    if has_header {
        ws.set_repeat_rows(0, 0).map_err(xlsx_err)?;
    }
    if has_header && sheet.freeze_header {
        ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    }
    let last_col = (width.max(1) - 1) as u16;
    if let Some(table_spec) = &sheet.table {
        let columns: Vec<TableColumn> = sheet
            .columns
            .iter()
            .map(|c| {
                TableColumn::new()
                    .set_header(&c.header)
                    .set_header_format(&header_format)
            })
            .collect();
        let style = table_spec
            .style
            .as_deref()
            .and_then(table_style)
            .unwrap_or(TableStyle::Medium9);
        let table = Table::new()
            .set_columns(&columns)
            .set_style(style)
            .set_banded_rows(table_spec.banded_rows);
        ws.add_table(0, 0, last_data_row, last_col, &table)
            .map_err(xlsx_err)?;
    } else if has_header && sheet.autofilter {
        ws.autofilter(0, 0, last_data_row, last_col)
            .map_err(xlsx_err)?;
    }

    for (i, cf) in sheet.conditional_formats.iter().enumerate() {
        let ((r1, c1), (r2, c2)) =
            conditional_range(sheet, cf, &format!("{path}.conditional_formats[{i}]"))?;
        add_conditional(ws, &cf.rule, (r1, c1, r2, c2))?;
    }
    Ok(width as u16)
}

fn plan(column: Option<&ColumnSpec>) -> ColumnPlan {
    let kind = column.map_or(ColumnType::Auto, |c| c.kind);
    let code = column.and_then(|c| c.currency.as_deref()).unwrap_or("USD");
    let symbol = currency_symbol(code);
    let default_decimals = match kind {
        ColumnType::Currency if matches!(code, "JPY" | "KRW" | "¥" | "₩") => 0,
        ColumnType::Percent => 1,
        ColumnType::Integer => 0,
        ColumnType::Number | ColumnType::Currency => 2,
        ColumnType::Auto
        | ColumnType::Text
        | ColumnType::Date
        | ColumnType::Datetime
        | ColumnType::Boolean => 0,
    };
    let decimals = usize::from(column.and_then(|c| c.decimals).unwrap_or(default_decimals));
    let fraction = if decimals == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(decimals))
    };
    let num_format = match kind {
        ColumnType::Auto | ColumnType::Text => None,
        // LibreOffice shows a boolean cell under a centred format as 1/0;
        // this keeps TRUE/FALSE in every spreadsheet program.
        ColumnType::Boolean => Some("\"TRUE\";\"TRUE\";\"FALSE\"".to_owned()),
        ColumnType::Number | ColumnType::Integer => Some(format!("#,##0{fraction}")),
        ColumnType::Currency => {
            let s = if symbol == "$" {
                "$".to_owned()
            } else {
                format!("[${symbol}]")
            };
            Some(format!("{s}#,##0{fraction};[Red]-{s}#,##0{fraction}"))
        }
        ColumnType::Percent => Some(format!("0{fraction}%")),
        ColumnType::Date => Some("yyyy-mm-dd".to_owned()),
        ColumnType::Datetime => Some("yyyy-mm-dd hh:mm".to_owned()),
    };
    let num_format = column.and_then(|c| c.format.clone()).or(num_format);
    let mut format = Format::new();
    if let Some(f) = &num_format {
        format = format.set_num_format(f);
    }
    match kind {
        ColumnType::Boolean => format = format.set_align(FormatAlign::Center),
        ColumnType::Text => format = format.set_align(FormatAlign::Left),
        ColumnType::Auto
        | ColumnType::Number
        | ColumnType::Integer
        | ColumnType::Currency
        | ColumnType::Percent
        | ColumnType::Date
        | ColumnType::Datetime => {}
    }
    let totals_format = format
        .clone()
        .set_bold()
        .set_border_top(FormatBorder::Thin)
        .set_border_bottom(FormatBorder::Double);
    ColumnPlan {
        kind,
        formatted: num_format.is_some() || matches!(kind, ColumnType::Boolean | ColumnType::Text),
        format,
        totals_format,
        auto_date: Format::new().set_num_format("yyyy-mm-dd"),
        auto_datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        decimals,
        symbol_len: if kind == ColumnType::Currency {
            symbol.chars().count()
        } else {
            0
        },
        widest: 0,
    }
}

fn currency_symbol(code: &str) -> &str {
    match code.to_ascii_uppercase().as_str() {
        "USD" | "CAD" | "AUD" | "NZD" | "MXN" | "SGD" | "HKD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" | "CNY" | "RMB" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        "CHF" => "CHF ",
        "BRL" => "R$",
        "SEK" | "NOK" | "DKK" => "kr ",
        _ => code,
    }
}

/// Writes one data cell. Cells are written unformatted: they take their
/// column's format (set once per column), which spares a format lookup per
/// cell on large sheets.
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: Typed<'_>,
    plan: &ColumnPlan,
    scratch: &mut String,
) -> Result<(), DocsError> {
    match cell {
        Typed::Blank => {}
        Typed::Number(n) if plan.kind == ColumnType::Text => {
            use std::fmt::Write as _;
            scratch.clear();
            let _ = write!(scratch, "{n}");
            ws.write_string(row, col, scratch.as_str())
                .map_err(xlsx_err)?;
        }
        Typed::Number(n) => {
            ws.write_number(row, col, n).map_err(xlsx_err)?;
        }
        Typed::Date { serial, text } => {
            if plan.kind == ColumnType::Auto {
                let f = if text.len() > 10 {
                    &plan.auto_datetime
                } else {
                    &plan.auto_date
                };
                ws.write_number_with_format(row, col, serial, f)
                    .map_err(xlsx_err)?;
            } else {
                ws.write_number(row, col, serial).map_err(xlsx_err)?;
            }
        }
        Typed::Text(s) => {
            ws.write_string(row, col, s).map_err(xlsx_err)?;
        }
        Typed::Bool(b) => {
            ws.write_boolean(row, col, b).map_err(xlsx_err)?;
        }
        Typed::Formula { formula, result } => {
            let mut f = Formula::new(formula);
            if let Some(result) = result {
                f = f.set_result(result_text(result));
            }
            ws.write_formula(row, col, f).map_err(xlsx_err)?;
        }
    }
    Ok(())
}

/// A formula result as the file stores it.
pub(crate) fn result_text(result: &FormulaResult) -> String {
    match result {
        FormulaResult::Number(n) => n.to_string(),
        FormulaResult::Text(s) => s.clone(),
        FormulaResult::Bool(true) => "TRUE".to_owned(),
        FormulaResult::Bool(false) => "FALSE".to_owned(),
    }
}

/// The width a value takes when shown, in characters (an estimate).
fn display_len(cell: Typed<'_>, plan: &ColumnPlan) -> usize {
    match cell {
        Typed::Blank => 0,
        Typed::Text(s) => s.chars().count().min(MAX_WIDTH as usize + 1),
        Typed::Bool(_) => 5,
        Typed::Date { text, .. } => {
            if text.len() > 10 || plan.kind == ColumnType::Datetime {
                16
            } else {
                10
            }
        }
        Typed::Number(n) => number_len(n, plan),
        Typed::Formula { result, .. } => match result {
            Some(FormulaResult::Number(n)) => number_len(*n, plan),
            Some(FormulaResult::Text(s)) => s.chars().count(),
            Some(FormulaResult::Bool(_)) => 5,
            None => 10,
        },
    }
}

fn number_len(n: f64, plan: &ColumnPlan) -> usize {
    let shown = if plan.kind == ColumnType::Percent {
        n * 100.0
    } else {
        n
    };
    let int_digits = if shown.abs() < 1.0 {
        1
    } else {
        shown.abs().log10().floor() as usize + 1
    };
    match plan.kind {
        ColumnType::Auto | ColumnType::Text => {
            // General format: up to 11 significant characters.
            let frac = if n.fract() == 0.0 {
                0
            } else {
                11usize.saturating_sub(int_digits)
            };
            (int_digits + frac + usize::from(n < 0.0)).min(11)
        }
        ColumnType::Number
        | ColumnType::Integer
        | ColumnType::Currency
        | ColumnType::Percent
        | ColumnType::Date
        | ColumnType::Datetime
        | ColumnType::Boolean => {
            let separators = int_digits.saturating_sub(1) / 3;
            let frac = if plan.decimals > 0 {
                plan.decimals + 1
            } else {
                0
            };
            int_digits
                + separators
                + frac
                + plan.symbol_len
                + usize::from(n < 0.0)
                + usize::from(plan.kind == ColumnType::Percent)
        }
    }
}

fn write_totals(
    ws: &mut Worksheet,
    sheet: &SheetSpec,
    totals: &super::spec::TotalsSpec,
    plans: &mut [ColumnPlan],
    first_data_row: u32,
    path: &str,
) -> Result<(), DocsError> {
    let row = first_data_row + sheet.rows.len() as u32;
    let label_format = Format::new()
        .set_bold()
        .set_border_top(FormatBorder::Thin)
        .set_border_bottom(FormatBorder::Double);
    for (c, plan) in plans.iter().enumerate() {
        ws.write_blank(row, c as u16, &plan.totals_format)
            .map_err(xlsx_err)?;
    }
    ws.write_string_with_format(row, 0, &totals.label, &label_format)
        .map_err(xlsx_err)?;
    if let Some(first) = plans.first_mut() {
        first.widest = first.widest.max(totals.label.chars().count());
    }
    for (header, aggregate) in &totals.columns {
        let col = column_index(sheet, header, &format!("{path}.totals.columns.{header}"))?;
        let mut formula = Formula::new(totals_formula(
            *aggregate,
            col,
            first_data_row,
            sheet.rows.len(),
        ));
        let computed = aggregate_value(
            *aggregate,
            sheet.rows.iter().map(|r| r.get(usize::from(col))),
        );
        if let Some(value) = computed {
            formula = formula.set_result(value.to_string());
        }
        let plan = &mut plans[usize::from(col)];
        if let Some(value) = computed {
            plan.widest = plan.widest.max(number_len(value, plan) + 1);
        }
        ws.write_formula_with_format(row, col, formula, &plan.totals_format)
            .map_err(xlsx_err)?;
    }
    Ok(())
}

/// The formula of a totals cell over column `col`'s data rows.
pub(crate) fn totals_formula(
    aggregate: Aggregate,
    col: u16,
    first_data_row: u32,
    rows: usize,
) -> String {
    let letter = column_name(col);
    let name = match aggregate {
        Aggregate::Sum => "SUM",
        Aggregate::Average => "AVERAGE",
        Aggregate::Count => "COUNT",
        Aggregate::Min => "MIN",
        Aggregate::Max => "MAX",
    };
    let from = first_data_row + 1;
    let to = (first_data_row + rows as u32).max(from);
    format!("={name}({letter}{from}:{letter}{to})")
}

/// The value of a totals formula, when every cell's value is known.
pub(crate) fn aggregate_value<'a>(
    aggregate: Aggregate,
    cells: impl Iterator<Item = Option<&'a CellValue>>,
) -> Option<f64> {
    let mut numbers = Vec::new();
    for cell in cells {
        match cell {
            Some(CellValue::Number(n)) => numbers.push(*n),
            Some(CellValue::Formula {
                result: Some(FormulaResult::Number(n)),
                ..
            }) => numbers.push(*n),
            Some(CellValue::Formula { result: None, .. }) => return None,
            Some(
                CellValue::Empty
                | CellValue::Bool(_)
                | CellValue::Text(_)
                | CellValue::Formula {
                    result: Some(FormulaResult::Text(_) | FormulaResult::Bool(_)),
                    ..
                },
            )
            | None => {}
        }
    }
    let count = numbers.len() as f64;
    match aggregate {
        Aggregate::Sum => Some(numbers.iter().sum()),
        Aggregate::Count => Some(count),
        Aggregate::Average => (count > 0.0).then(|| numbers.iter().sum::<f64>() / count),
        Aggregate::Min => numbers.iter().copied().reduce(f64::min),
        Aggregate::Max => numbers.iter().copied().reduce(f64::max),
    }
}
