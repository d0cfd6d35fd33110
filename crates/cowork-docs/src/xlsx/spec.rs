//! The `CreateSpreadsheet` spec: sheets of typed columns and rows, with
//! the trimmings (totals, tables, conditional formats, charts) a finished
//! workbook has. Documented for the model that writes it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::cell::CellValue;

/// A workbook: one or more sheets and native Excel charts over their cells.
///
/// Example: `{"sheets":[{"name":"Expenses","columns":[{"header":"Date","type":"date"},
/// {"header":"Item"},{"header":"Amount","type":"currency","currency":"EUR"}],
/// "rows":[["2026-03-01","Taxi",42.5],["2026-03-02","Hotel",180]],
/// "totals":{"columns":{"Amount":"sum"}}}],
/// "charts":[{"kind":"column","title":"Spend by item","categories":"Expenses!B2:B3",
/// "series":[{"name":"Amount","values":"Expenses!C2:C3"}]}]}`
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpreadsheetSpec {
    /// The sheets, in tab order. At least one; names must be unique.
    pub sheets: Vec<SheetSpec>,
    /// Native Excel charts that plot cell ranges of the sheets (default:
    /// none).
    #[serde(default)]
    pub charts: Vec<SheetChart>,
    /// The workbook's title, stored in the file's properties.
    #[serde(default)]
    pub title: Option<String>,
    /// The author, stored in the file's properties.
    #[serde(default)]
    pub author: Option<String>,
}

/// One sheet: a header row from `columns`, then `rows`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetSpec {
    /// The tab's name: 1–31 characters, none of `[ ] : * ? / \`, not
    /// starting or ending with `'`. Formulas and chart ranges refer to it
    /// (`Expenses!C2:C9`, or `'Q1 Budget'!C2:C9` when it has spaces).
    pub name: String,
    /// The columns, left to right; their headers form row 1 (bold, on a
    /// coloured band). Empty: the rows start at row 1 with no header.
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// The data rows, each a list of cell values in column order (row 2
    /// onward when there are columns). A row may be shorter than the
    /// columns, not longer. A value is a number, a string, `true`/`false`,
    /// `null` (empty), a formula string starting with `=`
    /// (`"=C2*1.2"`, `"=SUM(Expenses!C2:C9)"`), or an object
    /// `{"formula":"=SUM(C2:C9)","result":123.5}` giving the formula's
    /// value when you know it, or `{"text":"=not a formula"}` for text that
    /// starts with `=`.
    #[serde(default)]
    pub rows: Vec<Vec<CellValue>>,
    /// A bold totals row after the data: `{"label":"Total","columns":
    /// {"Amount":"sum"}}` writes `=SUM(...)` under the column headed
    /// "Amount" and "Total" in the first column (default: no totals row).
    #[serde(default)]
    pub totals: Option<TotalsSpec>,
    /// Keep the header row visible while scrolling (default true).
    #[serde(default = "yes")]
    pub freeze_header: bool,
    /// Filter buttons on the header row (default true; ignored when
    /// `table` is set, since a table has its own).
    #[serde(default = "yes")]
    pub autofilter: bool,
    /// Format the header and rows as an Excel table (banded rows, filter
    /// buttons), e.g. `{"style":"medium9"}` (default: none).
    #[serde(default)]
    pub table: Option<TableSpec>,
    /// Highlighting rules over cells of this sheet (default: none).
    #[serde(default)]
    pub conditional_formats: Vec<ConditionalFormatSpec>,
}

fn yes() -> bool {
    true
}

/// One column: its header and the type of its values.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The header text in row 1, e.g. "Amount".
    pub header: String,
    /// The type of the values, which sets their number format (default
    /// `auto`: numbers, text, booleans as given, and `YYYY-MM-DD` strings
    /// as dates).
    #[serde(rename = "type", default)]
    pub kind: ColumnType,
    /// Digits after the decimal point for `number` (default 2), `currency`
    /// (default 2, 0 for JPY) and `percent` (default 1: 0.125 shows as
    /// 12.5%).
    #[serde(default)]
    pub decimals: Option<u8>,
    /// For `currency`: an ISO code (`USD`, `EUR`, `GBP`, `JPY`, `CHF`,
    /// `INR`, `CNY` ...) or a symbol such as `$` or `€` (default `USD`).
    #[serde(default)]
    pub currency: Option<String>,
    /// An Excel number format that overrides the type's, e.g. `0.000` or
    /// `dd/mm/yyyy` (default: the type's format).
    #[serde(default)]
    pub format: Option<String>,
    /// Column width in characters (default: fitted to the content, between
    /// 8 and 60).
    #[serde(default)]
    pub width: Option<f64>,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Whatever each value is; `YYYY-MM-DD` strings become dates.
    #[default]
    Auto,
    /// Text, left-aligned. Numbers given here are written as text.
    Text,
    /// Numbers with thousands separators and `decimals` digits (1,234.50).
    Number,
    /// Whole numbers with thousands separators (1,235).
    Integer,
    /// Money in `currency` (€1,234.50), negatives in red.
    Currency,
    /// Fractions shown as percentages: write 0.12 for 12%.
    Percent,
    /// Dates written as `YYYY-MM-DD` strings, e.g. "2026-03-01".
    Date,
    /// Date and time written as `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD HH:MM:SS`.
    Datetime,
    /// `true` / `false`.
    Boolean,
}

/// A totals row under the data.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalsSpec {
    /// The text in the first column (default "Total").
    #[serde(default = "total_label")]
    pub label: String,
    /// Column header → what to compute over that column's data rows, e.g.
    /// `{"Amount":"sum","Nights":"average"}`.
    pub columns: BTreeMap<String, Aggregate>,
}

fn total_label() -> String {
    "Total".to_owned()
}

/// A function computed over a column for the totals row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// `=SUM(...)`
    Sum,
    /// `=AVERAGE(...)`
    Average,
    /// `=COUNT(...)`: how many numbers.
    Count,
    /// `=MIN(...)`
    Min,
    /// `=MAX(...)`
    Max,
}

/// An Excel table over the header and data rows.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Excel's table style: `light1`–`light21`, `medium1`–`medium28`,
    /// `dark1`–`dark11` (default `medium9`: blue header, banded rows).
    #[serde(default)]
    pub style: Option<String>,
    /// Shade every other row (default true).
    #[serde(default = "yes")]
    pub banded_rows: bool,
}

/// A conditional format: highlight cells of this sheet by their values.
/// Give the cells either as `column` (a header: its data rows) or `range`
/// (A1 notation on this sheet, e.g. `C2:C20`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionalFormatSpec {
    /// The header of the column whose data rows are formatted.
    #[serde(default)]
    pub column: Option<String>,
    /// An A1 range on this sheet, e.g. `C2:C20`.
    #[serde(default)]
    pub range: Option<String>,
    /// The rule.
    pub rule: ConditionalRule,
}

/// How cells are highlighted.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConditionalRule {
    /// Colour cells whose value compares true, e.g. `{"type":"cell",
    /// "operator":">","value":100,"style":"red"}`.
    Cell {
        /// The comparison.
        operator: Comparison,
        /// The number (or text) compared against.
        value: serde_json::Value,
        /// The upper bound, for `between` and `not_between`.
        #[serde(default)]
        value2: Option<serde_json::Value>,
        /// The highlight (default `red`: light red fill, dark red text).
        #[serde(default)]
        style: Highlight,
    },
    /// Shade cells from one colour (lowest) to another (highest), e.g.
    /// `{"type":"color_scale"}` for red–yellow–green.
    ColorScale {
        /// Colour of the lowest value, `#RRGGBB` (default `#F8696B`, red).
        #[serde(default)]
        min_color: Option<String>,
        /// Colour of the middle value (default `#FFEB84`, yellow); `null`
        /// with `two_colors: true` gives a two-colour scale.
        #[serde(default)]
        mid_color: Option<String>,
        /// Colour of the highest value (default `#63BE7B`, green).
        #[serde(default)]
        max_color: Option<String>,
        /// Use only the min and max colours (default false).
        #[serde(default)]
        two_colors: bool,
    },
    /// A bar inside each cell proportional to its value.
    DataBar {
        /// The bar colour, `#RRGGBB` (default `#638EC6`, blue).
        #[serde(default)]
        color: Option<String>,
    },
}

/// A comparison for a `cell` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Comparison {
    /// Greater than `value`.
    #[serde(rename = ">", alias = "greater_than")]
    GreaterThan,
    /// Greater than or equal to `value`.
    #[serde(rename = ">=", alias = "greater_than_or_equal")]
    GreaterOrEqual,
    /// Less than `value`.
    #[serde(rename = "<", alias = "less_than")]
    LessThan,
    /// Less than or equal to `value`.
    #[serde(rename = "<=", alias = "less_than_or_equal")]
    LessOrEqual,
    /// Equal to `value`.
    #[serde(rename = "=", alias = "equal")]
    Equal,
    /// Not equal to `value`.
    #[serde(rename = "!=", alias = "not_equal")]
    NotEqual,
    /// From `value` to `value2`, inclusive.
    #[serde(rename = "between")]
    Between,
    /// Outside `value`..`value2`.
    #[serde(rename = "not_between")]
    NotBetween,
}

/// A highlight: Excel's standard fill and text colour pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Highlight {
    /// Light red fill, dark red text (bad).
    #[default]
    Red,
    /// Light green fill, dark green text (good).
    Green,
    /// Light yellow fill, dark yellow text (warning).
    Yellow,
    /// Bold text, no fill.
    Bold,
}

/// A native Excel chart over cell ranges.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetChart {
    /// The sheet the chart is placed on (default: the sheet of the first
    /// series' values).
    #[serde(default)]
    pub sheet: Option<String>,
    /// What kind of chart.
    pub kind: SheetChartKind,
    /// The title above the chart.
    #[serde(default)]
    pub title: Option<String>,
    /// The category labels (x axis, or pie slice names) as a range,
    /// e.g. `Expenses!B2:B9`. For scatter: the x values.
    #[serde(default)]
    pub categories: Option<String>,
    /// The data series, each a range of values. Pie takes exactly one.
    pub series: Vec<SheetSeries>,
    /// The top-left cell of the chart, e.g. `F2` (default: two columns
    /// right of the sheet's data, row 2).
    #[serde(default)]
    pub anchor: Option<String>,
    /// Label of the category axis (horizontal; vertical in a bar chart;
    /// the x values' axis in a scatter chart), e.g. "Month".
    #[serde(default)]
    pub x_label: Option<String>,
    /// Label of the value axis (vertical; horizontal in a bar chart), e.g.
    /// "EUR".
    #[serde(default)]
    pub y_label: Option<String>,
    /// Show the legend (default: when there is more than one series, and
    /// always for pie).
    #[serde(default)]
    pub legend: Option<bool>,
    /// Width in pixels (default 640).
    #[serde(default)]
    pub width: Option<u32>,
    /// Height in pixels (default 360).
    #[serde(default)]
    pub height: Option<u32>,
}

/// The kinds of native chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SheetChartKind {
    /// Horizontal bars.
    Bar,
    /// Vertical columns.
    Column,
    /// Lines through the values.
    Line,
    /// Lines with the area below filled.
    Area,
    /// Slices of one series.
    Pie,
    /// Points: `categories` are the x values, each series the y values.
    Scatter,
}

/// One chart series.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetSeries {
    /// The name in the legend (default: "Series N").
    #[serde(default)]
    pub name: Option<String>,
    /// The values as a range, e.g. `Expenses!C2:C9` (a range without a
    /// sheet name refers to the chart's sheet).
    pub values: String,
}
