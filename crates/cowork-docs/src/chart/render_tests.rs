use super::*;
use crate::chart::Series;

/// The trimmed contents of the SVG's `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = t.split_once('>')?.1;
            Some(body.split_once("</text>")?.0.trim().to_owned())
        })
        .collect()
}

fn spec(kind: ChartKind) -> ChartSpec {
    ChartSpec {
        kind,
        title: Some("Title".into()),
        categories: vec!["A".into(), "B".into()],
        series: vec![Series {
            name: "Sales".into(),
            values: vec![12_500.0, 30_000.0],
            points: vec![],
        }],
        x_label: None,
        y_label: None,
        legend: None,
        width: None,
        height: None,
        colors: vec![],
    }
}

#[test]
fn axis_values_have_thousands_separators_and_no_trailing_zeros() {
    let texts = texts(&svg(&spec(ChartKind::Column)).unwrap());
    assert!(texts.iter().any(|t| t == "30,000"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains(".0")), "{texts:?}");
}

#[test]
fn the_default_palette_is_okabe_ito_and_custom_colours_win() {
    let svg = svg(&spec(ChartKind::Column)).unwrap().to_uppercase();
    assert!(svg.contains("#0072B2"), "{svg}");
    let mut custom = spec(ChartKind::Column);
    custom.colors = vec!["#123456".into()];
    let svg = super::svg(&custom).unwrap().to_uppercase();
    assert!(svg.contains("#123456") && !svg.contains("#0072B2"), "{svg}");
}

#[test]
fn the_legend_shows_for_several_series_and_for_pies_unless_turned_off() {
    let one = spec(ChartKind::Line);
    assert!(!texts(&svg(&one).unwrap()).contains(&"Sales".to_owned()));
    let mut two = spec(ChartKind::Line);
    two.series.push(Series {
        name: "Costs".into(),
        values: vec![1.0, 2.0],
        points: vec![],
    });
    let drawn = texts(&svg(&two).unwrap());
    assert!(
        drawn.contains(&"Sales".to_owned()) && drawn.contains(&"Costs".to_owned()),
        "{drawn:?}"
    );
    two.legend = Some(false);
    assert!(!texts(&svg(&two).unwrap()).contains(&"Costs".to_owned()));
    let pie = spec(ChartKind::Pie);
    let drawn = texts(&svg(&pie).unwrap());
    assert!(drawn.contains(&"A".to_owned()), "legend: {drawn:?}");
    assert!(
        drawn.contains(&"A: 29.4%".to_owned()),
        "slice label with its share: {drawn:?}"
    );
}

#[test]
fn a_pie_of_many_slices_keeps_the_largest_and_sums_the_rest_into_other() {
    let mut pie = spec(ChartKind::Pie);
    pie.categories = (1..=12).map(|i| format!("S{i}")).collect();
    pie.series[0].values = (1..=12).map(f64::from).collect();
    let (slices, grouped) = pie_series(&pie);
    assert!(grouped);
    let names: Vec<&str> = slices.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["S6", "S7", "S8", "S9", "S10", "S11", "S12", "Other"]
    );
    assert_eq!(slices[7].data, [Some(15.0)]);
    let drawn = svg(&pie).unwrap();
    assert!(drawn.contains("#9E9E9E"), "Other is grey");
}

#[test]
fn svg_text_falls_back_to_a_sans_serif_where_roboto_is_missing() {
    let drawn = svg(&spec(ChartKind::Line)).unwrap();
    assert!(!drawn.contains(r#"font-family="Roboto""#), "{drawn}");
    assert!(drawn.contains("sans-serif"), "{drawn}");
}
