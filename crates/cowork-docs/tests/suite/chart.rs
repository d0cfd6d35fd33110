//! Charts: every kind renders to well-formed SVG carrying its texts, and to
//! a PNG of the requested size that is not blank; fast enough to embed many
//! charts in a document.

use std::time::{Duration, Instant};

use cowork_docs::DocsError;
use cowork_docs::chart::{self, ChartKind, ChartSpec, Series};

const KINDS: [ChartKind; 6] = [
    ChartKind::Bar,
    ChartKind::Column,
    ChartKind::Line,
    ChartKind::Area,
    ChartKind::Pie,
    ChartKind::Scatter,
];

fn values(name: &str, values: &[f64]) -> Series {
    Series {
        name: name.to_owned(),
        values: values.to_vec(),
        points: vec![],
    }
}

/// A realistic spec of `kind`, with a title and axis labels.
fn sample(kind: ChartKind) -> ChartSpec {
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"];
    let (categories, series) = match kind {
        ChartKind::Scatter => (
            vec![],
            vec![
                Series {
                    name: "Stores".into(),
                    values: vec![],
                    points: vec![
                        [120.0, 48_000.0],
                        [340.0, 91_500.0],
                        [560.0, 150_000.0],
                        [80.0, 21_000.0],
                    ],
                },
                Series {
                    name: "Outlets".into(),
                    values: vec![],
                    points: vec![[200.0, 30_000.0], [410.0, 62_000.0], [650.0, 98_000.0]],
                },
            ],
        ),
        ChartKind::Pie => (
            ["Rent", "Salaries", "Travel", "Software"]
                .map(String::from)
                .to_vec(),
            vec![values("Costs", &[18_000.0, 52_000.0, 7_500.0, 4_200.0])],
        ),
        ChartKind::Bar | ChartKind::Column | ChartKind::Line | ChartKind::Area => (
            months.map(String::from).to_vec(),
            vec![
                values(
                    "Revenue",
                    &[12_500.0, 14_200.0, 13_900.0, 16_800.0, 18_100.0, 21_400.0],
                ),
                values(
                    "Costs",
                    &[9_800.0, 10_100.0, 11_000.0, 11_600.0, 12_300.0, 12_900.0],
                ),
            ],
        ),
    };
    ChartSpec {
        kind,
        title: Some(format!("Quarterly view {kind:?}")),
        categories,
        series,
        x_label: Some("Month of 2025".into()),
        y_label: Some("Amount in EUR".into()),
        legend: None,
        width: None,
        height: None,
        colors: vec![],
    }
}

/// Every element is closed and every attribute quoted, as an XML parser
/// checks.
fn assert_well_formed_xml(svg: &str) {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut depth = 0_i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML: {e}\n{svg}"),
        }
    }
    assert_eq!(depth, 0, "unbalanced elements");
    assert!(svg.trim_start().starts_with("<svg"), "{svg}");
}

/// Width, height and the RGBA rows of a PNG, via its own decoder so the
/// test does not trust the encoder under test.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG signature"
    );
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("decodes as PNG")
        .to_rgba8();
    (image.width(), image.height(), image.into_raw())
}

/// The standard deviation of the pixels' brightness: 0 for a blank image.
fn brightness_spread(rgba: &[u8]) -> f64 {
    let lum: Vec<f64> = rgba
        .chunks_exact(4)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f64>() / lum.len() as f64;
    (lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64).sqrt()
}

#[test]
fn every_kind_renders_well_formed_svg_with_its_title_and_labels() {
    for kind in KINDS {
        let spec = sample(kind);
        let svg = chart::render_svg(&spec).unwrap();
        assert_well_formed_xml(&svg);
        assert!(
            svg.contains(&format!("Quarterly view {kind:?}")),
            "{kind:?}: no title"
        );
        match kind {
            ChartKind::Pie => {
                for slice in ["Rent", "Salaries", "Travel", "Software"] {
                    assert!(svg.contains(slice), "{kind:?}: no slice {slice}");
                }
            }
            ChartKind::Bar
            | ChartKind::Column
            | ChartKind::Line
            | ChartKind::Area
            | ChartKind::Scatter => {
                assert!(svg.contains("Month of 2025"), "{kind:?}: no x label");
                assert!(svg.contains("Amount in EUR"), "{kind:?}: no y label");
                assert!(
                    svg.contains("Revenue") || svg.contains("Stores"),
                    "{kind:?}: no legend"
                );
            }
        }
    }
}

#[test]
fn every_kind_renders_a_png_of_the_requested_size_that_is_not_blank() {
    for kind in KINDS {
        let mut spec = sample(kind);
        let (w, h, pixels) = decode_png(&chart::render_png(&spec).unwrap());
        assert_eq!((w, h), (800, 480), "{kind:?}: default size");
        assert!(brightness_spread(&pixels) > 10.0, "{kind:?}: blank");

        spec.width = Some(640);
        spec.height = Some(360);
        let (w, h, pixels) = decode_png(&chart::render_png(&spec).unwrap());
        assert_eq!((w, h), (640, 360), "{kind:?}: requested size");
        assert!(brightness_spread(&pixels) > 10.0, "{kind:?}: blank");
    }
}

/// Text must be drawn by the bundled font even where the machine has none:
/// a title alone on an otherwise empty chart still marks the image.
#[test]
fn text_is_drawn_into_the_png() {
    let mut plain = sample(ChartKind::Column);
    plain.title = None;
    plain.x_label = None;
    plain.y_label = None;
    let mut titled = plain.clone();
    titled.title = Some("A long title drawn in the bundled font".into());
    let (_, _, without) = decode_png(&chart::render_png(&plain).unwrap());
    let (_, _, with) = decode_png(&chart::render_png(&titled).unwrap());
    let dark = |px: &[u8]| {
        px.chunks_exact(4)
            .filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100)
            .count()
    };
    assert!(
        dark(&with) > dark(&without) + 500,
        "the title left no dark pixels"
    );
}

#[test]
fn invalid_specs_fail_before_drawing_with_the_field_named() {
    let mut spec = sample(ChartKind::Column);
    spec.series[1].values.pop();
    for result in [
        chart::render_svg(&spec).map(|_| ()),
        chart::render_png(&spec).map(|_| ()),
    ] {
        match result {
            Err(DocsError::InvalidSpec { path, message }) => {
                assert_eq!(path, "series[1].values");
                assert!(message.contains("5 values for 6 categories"), "{message}");
            }
            other => panic!("expected InvalidSpec, got {other:?}"),
        }
    }
}

#[test]
fn a_spec_parsed_from_json_renders() {
    let spec: ChartSpec = cowork_docs::spec::parse_str(
        r##"{"kind": "pie", "title": "Share", "categories": ["A", "B"],
            "series": [{"name": "s", "values": [3, 1]}], "colors": ["#112233", "#445566"]}"##,
    )
    .unwrap();
    let svg = chart::render_svg(&spec).unwrap();
    assert!(svg.to_uppercase().contains("#112233"));
}

#[test]
fn many_categories_and_long_names_still_render() {
    let categories: Vec<String> = (1..=40).map(|i| format!("Department number {i}")).collect();
    let data: Vec<f64> = (1..=40).map(|i| f64::from(i) * 1_234.5).collect();
    for kind in [
        ChartKind::Bar,
        ChartKind::Column,
        ChartKind::Line,
        ChartKind::Pie,
    ] {
        let spec = ChartSpec {
            kind,
            title: Some("Headcount cost".into()),
            categories: categories.clone(),
            series: vec![values("Cost", &data)],
            x_label: None,
            y_label: None,
            legend: None,
            width: None,
            height: None,
            colors: vec![],
        };
        let (w, h, pixels) = decode_png(&chart::render_png(&spec).unwrap());
        assert_eq!((w, h), (800, 480));
        assert!(brightness_spread(&pixels) > 10.0, "{kind:?}: blank");
    }
}

/// Budget: 50 ms per chart in release. Debug builds are an order of
/// magnitude slower and share the machine with the other tests, so there
/// the budget only catches a pathological slowdown. The best of three runs
/// is timed, to keep a busy machine from failing the test.
#[test]
fn rendering_is_fast() {
    let budget = if cfg!(debug_assertions) {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(50)
    };
    // The first render loads the font; time the ones after it.
    chart::render_png(&sample(ChartKind::Column)).unwrap();
    for kind in KINDS {
        let spec = sample(kind);
        let best = (0..3)
            .map(|_| {
                let start = Instant::now();
                chart::render_png(&spec).unwrap();
                start.elapsed()
            })
            .min()
            .unwrap();
        eprintln!("{kind:?}: PNG in {best:?}");
        assert!(best < budget, "{kind:?} took {best:?}");
    }
}
