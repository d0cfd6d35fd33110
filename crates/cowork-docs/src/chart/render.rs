//! Drawing a validated spec with charts-rs: one house style (fonts, sizes,
//! greys, palette) applied to every kind, so charts look alike wherever
//! they are embedded.

use charts_rs::{
    Align, AxisLabelOverflow, BarChart, ChartBase, Color, FontConfig, HorizontalBarChart,
    LegendCategory, LineChart, PieChart, Position, ScatterChart, Series as ChartSeries, Symbol,
    YAxisConfig,
};

use super::axis::{self, Scale};
use super::spec::{ChartKind, ChartSpec};
use super::{DEFAULT_COLORS, DEFAULT_HEIGHT, DEFAULT_WIDTH};
use crate::error::DocsError;

const THEME: &str = "light";
/// Near-black and greys rather than black: softer, still well above WCAG
/// contrast on white.
const TEXT: (u8, u8, u8) = (38, 38, 38);
const MUTED: (u8, u8, u8) = (85, 85, 85);
const AXIS: (u8, u8, u8) = (160, 160, 160);
const GRID: (u8, u8, u8) = (228, 228, 228);
/// charts-rs formats axis values with thousands separators under this
/// formatter (`12,500` rather than `12500`).
const THOUSANDS: &str = "{t}";
/// charts-rs names only its bundled Roboto; an SVG opened where Roboto is
/// not installed should fall back to a sans-serif, not to Times. The PNG
/// rasterizer still finds Roboto first.
const FAMILY_ATTR: &str = r#"font-family="Roboto""#;
const FAMILY_FALLBACKS: &str =
    r#"font-family="Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif""#;
/// The most slices a pie shows; the smallest of the rest become "Other".
pub(super) const MAX_PIE_SLICES: usize = 8;
/// "Other" is not a category like the others: neutral grey.
const OTHER: (u8, u8, u8) = (158, 158, 158);

/// The SVG of a spec that [`super::validate`] accepted.
pub(super) fn svg(spec: &ChartSpec) -> Result<String, DocsError> {
    let values = || spec.series.iter().flat_map(|s| s.values.iter().copied());
    let result = match spec.kind {
        ChartKind::Column => {
            let mut chart =
                BarChart::new_with_theme(value_series(spec, false), spec.categories.clone(), THEME);
            style_cartesian(&mut chart.base, spec);
            style_value_axes(
                &mut chart.y_axis_configs,
                spec.y_label.as_ref(),
                range(values(), true),
                font_scale(spec),
            );
            chart.base.legend.category = LegendCategory::RoundRect;
            chart.radius = Some(2.0);
            chart.svg()
        }
        ChartKind::Bar => {
            // Read top to bottom, as a list is: charts-rs draws the first
            // category at the bottom.
            let categories = spec.categories.iter().rev().cloned().collect();
            let mut chart =
                HorizontalBarChart::new_with_theme(value_series(spec, true), categories, THEME);
            style_cartesian(&mut chart.base, spec);
            // The category axis is the vertical one here: its label is the
            // spec's `x_label`, and the value axis at the bottom takes `y_label`.
            chart.base.x_axis.title = spec.y_label.clone().unwrap_or_default();
            style_value_axes(
                &mut chart.y_axis_configs,
                spec.x_label.as_ref(),
                range(values(), true),
                font_scale(spec),
            );
            chart.base.legend.category = LegendCategory::RoundRect;
            chart.svg()
        }
        ChartKind::Line | ChartKind::Area => {
            let mut chart = LineChart::new_with_theme(
                value_series(spec, false),
                spec.categories.clone(),
                THEME,
            );
            style_cartesian(&mut chart.base, spec);
            style_value_axes(
                &mut chart.y_axis_configs,
                spec.y_label.as_ref(),
                range(values(), true),
                font_scale(spec),
            );
            chart.base.series.fill = spec.kind == ChartKind::Area;
            // Overlapping areas stay readable when each is light.
            chart.base.series.fill_opacity = Some(0.22);
            let k = font_scale(spec);
            chart.base.series.stroke_width = 2.5 * k;
            chart.base.series.symbol = Some(Symbol::Circle(2.5 * k, Some(Color::white())));
            chart.svg()
        }
        ChartKind::Pie => {
            let (slices, grouped) = pie_series(spec);
            let mut chart = PieChart::new_with_theme(slices, THEME);
            style_common(&mut chart.base, spec);
            if grouped && spec.colors.is_empty() {
                let mut colors = palette(spec);
                colors.truncate(MAX_PIE_SLICES - 1);
                colors.push(OTHER.into());
                chart.base.series.colors = colors;
            }
            // A label on a sliver would sit on its neighbours' labels.
            chart.min_show_label_angle = 4.0;
            chart.base.legend.category = LegendCategory::RoundRect;
            // Slice labels name the slice and give its share.
            chart.base.series.label.formatter = "{a}: {d}".to_owned();
            chart.rose_type = Some(false);
            chart.inner_radius = 0.0;
            chart.border_radius = Some(0.0);
            let (width, height) = size(spec);
            let k = font_scale(spec);
            // Room left by the title and the legend, and beside the pie for
            // its labels.
            let free_height = height - k * (if spec.title.is_some() { 44.0 } else { 8.0 } + 40.0);
            chart.radius = (free_height * 0.36).min(width * 0.22).max(20.0);
            chart.svg()
        }
        ChartKind::Scatter => {
            let mut chart = ScatterChart::new_with_theme(point_series(spec), THEME);
            style_cartesian(&mut chart.base, spec);
            let points = || spec.series.iter().flat_map(|s| s.points.iter());
            let (xs, ys) = axis::nice_pair(
                extent(points().map(|p| p[0])),
                extent(points().map(|p| p[1])),
            );
            style_value_axes(
                &mut chart.y_axis_configs,
                spec.y_label.as_ref(),
                ys,
                font_scale(spec),
            );
            style_value_axis(&mut chart.x_axis_config, None, xs, font_scale(spec));
            chart.base.x_axis.title = spec.x_label.clone().unwrap_or_default();
            chart.base.legend.category = LegendCategory::Circle;
            chart.series_symbol_sizes = vec![5.5 * font_scale(spec); spec.series.len()];
            chart.svg()
        }
    };
    result
        .map(|svg| svg.replace(FAMILY_ATTR, FAMILY_FALLBACKS))
        .map_err(|e| DocsError::render("SVG", e))
}

fn size(spec: &ChartSpec) -> (f32, f32) {
    (
        spec.width.unwrap_or(DEFAULT_WIDTH) as f32,
        spec.height.unwrap_or(DEFAULT_HEIGHT) as f32,
    )
}

/// The smallest and largest of `values` (validated finite and non-empty).
fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

/// The nice axis over `values`.
fn range(values: impl Iterator<Item = f64>, zero: bool) -> Scale {
    let (lo, hi) = extent(values);
    axis::nice(lo, hi, zero)
}

fn palette(spec: &ChartSpec) -> Vec<Color> {
    let colors: Vec<&str> = if spec.colors.is_empty() {
        DEFAULT_COLORS.to_vec()
    } else {
        spec.colors.iter().map(String::as_str).collect()
    };
    colors.into_iter().map(Color::from).collect()
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "validate keeps values within f32"
)]
fn value_series(spec: &ChartSpec, reversed: bool) -> Vec<ChartSeries> {
    spec.series
        .iter()
        .map(|s| {
            let mut data: Vec<f32> = s.values.iter().map(|v| *v as f32).collect();
            if reversed {
                data.reverse();
            }
            ChartSeries::new(s.name.clone(), data)
        })
        .collect()
}

/// A pie's slices are charts-rs series of one value each. Beyond
/// [`MAX_PIE_SLICES`] the smallest are summed into one "Other" slice (and
/// the second value is true): forty slivers cannot be read, nor labelled.
#[expect(
    clippy::cast_possible_truncation,
    reason = "validate keeps values within f32"
)]
fn pie_series(spec: &ChartSpec) -> (Vec<ChartSeries>, bool) {
    let values = spec
        .series
        .first()
        .map(|s| s.values.as_slice())
        .unwrap_or_default();
    let mut slices: Vec<(&String, f64)> =
        spec.categories.iter().zip(values.iter().copied()).collect();
    let grouped = slices.len() > MAX_PIE_SLICES;
    let mut other = None;
    if grouped {
        let mut by_size: Vec<usize> = (0..slices.len()).collect();
        by_size.sort_by(|a, b| slices[*b].1.total_cmp(&slices[*a].1));
        let mut keep = vec![false; slices.len()];
        for i in by_size.into_iter().take(MAX_PIE_SLICES - 1) {
            keep[i] = true;
        }
        let mut rest = 0.0;
        let mut i = 0;
        slices.retain(|(_, v)| {
            let kept = keep[i];
            i += 1;
            if !kept {
                rest += v;
            }
            kept
        });
        other = Some(rest);
    }
    let mut series: Vec<ChartSeries> = slices
        .into_iter()
        .map(|(name, v)| ChartSeries::new(name.clone(), vec![v as f32]))
        .collect();
    if let Some(rest) = other {
        series.push(ChartSeries::new("Other".to_owned(), vec![rest as f32]));
    }
    (series, grouped)
}

/// charts-rs takes a scatter series as flat `x, y, x, y ...` data.
#[expect(
    clippy::cast_possible_truncation,
    reason = "validate keeps values within f32"
)]
fn point_series(spec: &ChartSpec) -> Vec<ChartSeries> {
    spec.series
        .iter()
        .map(|s| {
            let data = s
                .points
                .iter()
                .flat_map(|[x, y]| [*x as f32, *y as f32])
                .collect();
            ChartSeries::new(s.name.clone(), data)
        })
        .collect()
}

fn font(size: f32, color: (u8, u8, u8), bold: bool) -> FontConfig {
    FontConfig {
        size,
        color: color.into(),
        weight: bold.then(|| "bold".to_owned()),
    }
}

/// How much text and spacing grow or shrink from the 800 × 480 design, so
/// a chart reads alike at any size; never so small that labels blur.
fn font_scale(spec: &ChartSpec) -> f32 {
    let (width, height) = size(spec);
    (width / DEFAULT_WIDTH as f32)
        .min(height / DEFAULT_HEIGHT as f32)
        .clamp(0.7, 3.0)
}

/// Size, title, legend and palette: what every kind shares.
fn style_common(base: &mut ChartBase, spec: &ChartSpec) {
    let (width, height) = size(spec);
    let k = font_scale(spec);
    base.width = width;
    base.height = height;
    base.margin = (16.0 * k, 14.0 * k, 24.0 * k, 10.0 * k).into();
    base.background_color = Color::white();
    base.title.text = spec.title.clone().unwrap_or_default();
    base.title.font = font(20.0 * k, TEXT, true);
    base.title.height *= k;
    base.title.align = Align::Center;
    base.legend.font = font(14.0 * k, MUTED, false);
    base.legend.align = Align::Center;
    base.legend.position = Some(Position::Bottom);
    let default_legend = spec.kind == ChartKind::Pie || spec.series.len() > 1;
    base.legend.show = Some(spec.legend.unwrap_or(default_legend));
    base.series.colors = palette(spec);
    base.series.label.font = font(13.0 * k, MUTED, false);
    base.series.label.formatter = THOUSANDS.to_owned();
}

fn style_cartesian(base: &mut ChartBase, spec: &ChartSpec) {
    style_common(base, spec);
    let k = font_scale(spec);
    base.x_axis.font = font(13.0 * k, MUTED, false);
    base.x_axis.height *= k;
    base.x_axis.name_gap *= k;
    base.x_axis.stroke_color = AXIS.into();
    // Thinning (the default) would drop category names; turning them keeps
    // every one.
    base.x_axis.label_overflow = AxisLabelOverflow::Rotate;
    base.x_axis.title = spec.x_label.clone().unwrap_or_default();
    base.grid.stroke_color = GRID.into();
}

fn style_value_axes(axes: &mut Vec<YAxisConfig>, title: Option<&String>, scale: Scale, k: f32) {
    if axes.is_empty() {
        axes.push(YAxisConfig::default());
    }
    for axis in axes.iter_mut() {
        style_value_axis(axis, title, scale, k);
    }
}

#[expect(clippy::cast_possible_truncation, reason = "axis bounds of f32 data")]
fn style_value_axis(axis: &mut YAxisConfig, title: Option<&String>, scale: Scale, k: f32) {
    axis.font = font(13.0 * k, MUTED, false);
    axis.name_gap *= k;
    axis.formatter = Some(THOUSANDS.to_owned());
    axis.title = title.cloned();
    axis.min = Some(scale.min as f32);
    axis.max = Some(scale.max as f32);
    axis.split_number = scale.splits;
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
