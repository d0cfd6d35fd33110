//! Native Excel charts over cell ranges, placed beside the data.

use std::collections::HashMap;

use rust_xlsxwriter::{Chart, ChartDataLabel, ChartLegendPosition, ChartType, Workbook};

use super::cell::parse_cell;
use super::spec::{SheetChartKind, SpreadsheetSpec};
use super::validate::{chart_range, chart_sheet};
use super::writer::xlsx_err;
use crate::error::DocsError;

const DEFAULT_WIDTH: u32 = 640;
const DEFAULT_HEIGHT: u32 = 360;
/// Default row height in pixels, to stack charts that have no anchor.
const ROW_PIXELS: u32 = 20;

/// Adds the spec's charts; `widths[i]` is the number of data columns of
/// sheet `i`, so charts without an anchor go two columns to the right.
pub(crate) fn add_charts(
    workbook: &mut Workbook,
    spec: &SpreadsheetSpec,
    widths: &[u16],
) -> Result<(), DocsError> {
    // Next free row for un-anchored charts, per sheet.
    let mut next_row: HashMap<String, u32> = HashMap::new();
    for (i, chart_spec) in spec.charts.iter().enumerate() {
        let path = format!("charts[{i}]");
        let home = chart_sheet(spec, chart_spec, &path)?;
        let kind = match chart_spec.kind {
            SheetChartKind::Bar => ChartType::Bar,
            SheetChartKind::Column => ChartType::Column,
            SheetChartKind::Line => ChartType::Line,
            SheetChartKind::Area => ChartType::Area,
            SheetChartKind::Pie => ChartType::Pie,
            SheetChartKind::Scatter => ChartType::Scatter,
        };
        let mut chart = Chart::new(kind);
        let categories = match &chart_spec.categories {
            Some(c) => Some(chart_range(spec, c, &home, &format!("{path}.categories"))?),
            None => None,
        };
        for (s, series_spec) in chart_spec.series.iter().enumerate() {
            let (sheet, first, last) = chart_range(
                spec,
                &series_spec.values,
                &home,
                &format!("{path}.series[{s}].values"),
            )?;
            let series = chart.add_series();
            series.set_values((sheet.as_str(), first.0, first.1, last.0, last.1));
            if let Some((cs, cf, cl)) = &categories {
                series.set_categories((cs.as_str(), cf.0, cf.1, cl.0, cl.1));
            }
            match &series_spec.name {
                Some(name) => series.set_name(name.as_str()),
                None => series.set_name(format!("Series {}", s + 1).as_str()),
            };
            if chart_spec.kind == SheetChartKind::Pie {
                series.set_data_label(ChartDataLabel::new().show_percentage());
            }
            if chart_spec.kind == SheetChartKind::Line {
                series.set_smooth(false);
            }
        }
        if let Some(title) = &chart_spec.title {
            chart.title().set_name(title);
        }
        // rust_xlsxwriter's x axis is the category axis, vertical in a bar
        // chart, as the spec's `x_label` is.
        let (category_axis, value_axis) = (&chart_spec.x_label, &chart_spec.y_label);
        if let Some(label) = category_axis {
            chart.x_axis().set_name(label);
        }
        if let Some(label) = value_axis {
            chart.y_axis().set_name(label);
        }
        let legend = chart_spec
            .legend
            .unwrap_or(chart_spec.series.len() > 1 || chart_spec.kind == SheetChartKind::Pie);
        if legend {
            chart.legend().set_position(ChartLegendPosition::Bottom);
        } else {
            chart.legend().set_hidden();
        }
        let width = chart_spec.width.unwrap_or(DEFAULT_WIDTH);
        let height = chart_spec.height.unwrap_or(DEFAULT_HEIGHT);
        chart.set_width(width).set_height(height);

        let sheet_index = spec.sheets.iter().position(|s| s.name == home).unwrap_or(0);
        let (row, col) = match chart_spec.anchor.as_deref().and_then(parse_cell) {
            Some(cell) => cell,
            None => {
                let row = next_row.entry(home.clone()).or_insert(1);
                let at = *row;
                *row += height.div_ceil(ROW_PIXELS) + 2;
                (
                    at,
                    widths
                        .get(sheet_index)
                        .copied()
                        .unwrap_or(0)
                        .saturating_add(1),
                )
            }
        };
        let worksheet = workbook.worksheet_from_name(&home).map_err(xlsx_err)?;
        worksheet.insert_chart(row, col, &chart).map_err(xlsx_err)?;
    }
    Ok(())
}
