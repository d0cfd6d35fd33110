//! The chart spec, shared by `CreateChart` and every writer that embeds a
//! chart.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A chart: what kind, the data, and its labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    /// What kind of chart.
    pub kind: ChartKind,
    /// The title above the chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Category labels along the x axis (bar, column, line, area) or the
    /// slices' names (pie). Not used by scatter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// One or more data series. Pie takes exactly one.
    pub series: Vec<Series>,
    /// Label of the x (category) axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_label: Option<String>,
    /// Label of the y (value) axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_label: Option<String>,
    /// Show the legend (default: when there is more than one series, and
    /// always for pie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legend: Option<bool>,
    /// Width in pixels (default 800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels (default 480).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Series colours as `#RRGGBB`, in order (default: a colour-blind-safe
    /// palette).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub colors: Vec<String>,
}

/// The kinds of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Horizontal bars, one per category.
    Bar,
    /// Vertical columns, one per category.
    Column,
    /// Lines through each series' values.
    Line,
    /// Lines with the area below filled.
    Area,
    /// Slices of one series.
    Pie,
    /// Points at (x, y); series give `points`.
    Scatter,
}

/// One data series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// The series' name, shown in the legend.
    pub name: String,
    /// One value per category (all kinds but scatter).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<f64>,
    /// `[x, y]` pairs (scatter only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<[f64; 2]>,
}
