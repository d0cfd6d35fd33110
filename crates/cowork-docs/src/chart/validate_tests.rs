use super::*;
use crate::chart::{ChartKind, ChartSpec, Series};

fn series(name: &str, values: &[f64]) -> Series {
    Series {
        name: name.to_owned(),
        values: values.to_vec(),
        points: vec![],
    }
}

fn spec(kind: ChartKind, series: Vec<Series>) -> ChartSpec {
    ChartSpec {
        kind,
        title: None,
        categories: ["A", "B", "C", "D", "E"].map(String::from).to_vec(),
        series,
        x_label: None,
        y_label: None,
        legend: None,
        width: None,
        height: None,
        colors: vec![],
    }
}

fn scatter(points: Vec<[f64; 2]>) -> ChartSpec {
    let mut s = spec(
        ChartKind::Scatter,
        vec![Series {
            name: "p".into(),
            values: vec![],
            points,
        }],
    );
    s.categories.clear();
    s
}

/// The `(path, message)` of the error `validate` gives.
fn error(spec: &ChartSpec) -> (String, String) {
    match validate(spec) {
        Err(DocsError::InvalidSpec { path, message }) => (path, message),
        other => panic!("expected an InvalidSpec error, got {other:?}"),
    }
}

#[test]
fn a_well_formed_spec_of_every_kind_is_accepted() {
    let five = [1.0, 2.0, 3.0, 4.0, 5.0];
    for kind in [
        ChartKind::Bar,
        ChartKind::Column,
        ChartKind::Line,
        ChartKind::Area,
        ChartKind::Pie,
    ] {
        validate(&spec(kind, vec![series("s", &five)])).unwrap();
    }
    validate(&scatter(vec![[1.0, 2.0], [-3.0, 4.5]])).unwrap();
}

#[test]
fn a_chart_without_series_is_refused() {
    let (path, message) = error(&spec(ChartKind::Column, vec![]));
    assert_eq!(path, "series");
    assert!(message.contains("at least one series"), "{message}");
}

#[test]
fn values_that_do_not_match_the_categories_name_the_series_and_both_counts() {
    let s = spec(
        ChartKind::Line,
        vec![series("a", &[1.0; 5]), series("b", &[1.0, 2.0, 3.0, 4.0])],
    );
    let (path, message) = error(&s);
    assert_eq!(path, "series[1].values");
    assert!(
        message.starts_with("4 values for 5 categories"),
        "{message}"
    );
}

#[test]
fn empty_values_are_refused() {
    let (path, message) = error(&spec(ChartKind::Column, vec![series("a", &[])]));
    assert_eq!(path, "series[0].values");
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn missing_categories_are_refused() {
    let mut s = spec(ChartKind::Bar, vec![series("a", &[1.0])]);
    s.categories.clear();
    assert_eq!(error(&s).0, "categories");
}

#[test]
fn nan_and_infinity_name_the_value() {
    let s = spec(
        ChartKind::Area,
        vec![series("a", &[1.0, 2.0, f64::NAN, 4.0, 5.0])],
    );
    assert_eq!(error(&s).0, "series[0].values[2]");
    let s = spec(
        ChartKind::Column,
        vec![
            series("a", &[1.0; 5]),
            series("b", &[f64::INFINITY, 1.0, 1.0, 1.0, 1.0]),
        ],
    );
    assert_eq!(error(&s).0, "series[1].values[0]");
    let (path, message) = error(&scatter(vec![[1.0, 2.0], [3.0, f64::NEG_INFINITY]]));
    assert_eq!(path, "series[0].points[1][1]");
    assert!(message.contains("finite"), "{message}");
}

#[test]
fn values_beyond_what_can_be_drawn_are_refused() {
    let s = spec(
        ChartKind::Column,
        vec![series("a", &[1.0, 1e300, 1.0, 1.0, 1.0])],
    );
    let (path, message) = error(&s);
    assert_eq!(path, "series[0].values[1]");
    assert!(message.contains("too large"), "{message}");
}

#[test]
fn a_pie_refuses_negative_slices_and_several_series() {
    let s = spec(
        ChartKind::Pie,
        vec![series("a", &[1.0, 2.0, -3.0, 4.0, 5.0])],
    );
    let (path, message) = error(&s);
    assert_eq!(path, "series[0].values[2]");
    assert!(message.contains("negative"), "{message}");

    let s = spec(
        ChartKind::Pie,
        vec![series("a", &[1.0; 5]), series("b", &[1.0; 5])],
    );
    let (path, message) = error(&s);
    assert_eq!(path, "series");
    assert!(message.contains("exactly one series"), "{message}");

    let s = spec(ChartKind::Pie, vec![series("a", &[0.0; 5])]);
    assert_eq!(error(&s).0, "series[0].values");
}

#[test]
fn scatter_needs_points_and_refuses_values() {
    let (path, message) = error(&scatter(vec![]));
    assert_eq!(path, "series[0].points");
    assert!(message.contains("[x, y]"), "{message}");

    let mut s = scatter(vec![[1.0, 1.0]]);
    s.series[0].values = vec![1.0];
    assert_eq!(error(&s).0, "series[0].values");

    let mut s = scatter(vec![[1.0, 1.0]]);
    s.categories = vec!["A".into()];
    assert_eq!(error(&s).0, "categories");
}

#[test]
fn points_on_a_category_chart_are_refused() {
    let mut s = spec(ChartKind::Line, vec![series("a", &[1.0; 5])]);
    s.series[0].points = vec![[1.0, 2.0]];
    let (path, message) = error(&s);
    assert_eq!(path, "series[0].points");
    assert!(message.contains("only scatter"), "{message}");
}

#[test]
fn sizes_outside_100_to_4000_pixels_are_refused() {
    let mut s = spec(ChartKind::Column, vec![series("a", &[1.0; 5])]);
    s.width = Some(99);
    assert_eq!(error(&s).0, "width");
    s.width = Some(100);
    s.height = Some(4001);
    let (path, message) = error(&s);
    assert_eq!(path, "height");
    assert!(message.contains("100 to 4000"), "{message}");
    s.height = Some(4000);
    validate(&s).unwrap();
}

#[test]
fn colours_must_be_hex_rgb() {
    let mut s = spec(ChartKind::Column, vec![series("a", &[1.0; 5])]);
    s.colors = vec!["#0072B2".into(), "#abcdef".into()];
    validate(&s).unwrap();
    for bad in ["red", "#12345", "#1234567", "#GG0000", "0072B2#", "#00٣2B"] {
        s.colors = vec!["#0072B2".into(), bad.into()];
        let (path, message) = error(&s);
        assert_eq!(path, "colors[1]", "{bad}");
        assert!(message.contains("#RRGGBB"), "{message}");
    }
}
