use super::*;
use crate::spec::parse;

fn check(spec: serde_json::Value) -> Result<(), String> {
    let spec: SpreadsheetSpec = parse(&spec).map_err(|e| e.to_string())?;
    validate(&spec).map_err(|e| e.to_string())?;
    crate::xlsx::write(&spec)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn sheet(name: &str) -> serde_json::Value {
    serde_json::json!({"name": name, "columns": [{"header": "Item"}, {"header": "Amount", "type": "number"}], "rows": [["a", 1]]})
}

#[test]
fn a_valid_spec_passes() {
    check(serde_json::json!({"sheets": [sheet("A"), sheet("B")]})).unwrap();
}

#[test]
fn sheet_names_are_checked_as_excel_does() {
    let err = check(serde_json::json!({"sheets": [sheet("Data"), sheet("data")]})).unwrap_err();
    assert!(
        err.contains("`sheets[1].name`") && err.contains("already exists"),
        "{err}"
    );
    let err = check(serde_json::json!({"sheets": [sheet("Q1/Q2")]})).unwrap_err();
    assert!(err.contains("contains `/`"), "{err}");
    let err = check(serde_json::json!({"sheets": [sheet(&"x".repeat(32))]})).unwrap_err();
    assert!(
        err.contains("32 characters; Excel allows at most 31"),
        "{err}"
    );
    let err = check(serde_json::json!({"sheets": []})).unwrap_err();
    assert!(err.contains("at least one sheet"), "{err}");
}

#[test]
fn a_row_longer_than_the_columns_is_refused() {
    let mut s = sheet("A");
    s["rows"] = serde_json::json!([["a", 1], ["b", 2, 3]]);
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(
        err.contains("`sheets[0].rows[1]`") && err.contains("3 values but the sheet has 2 columns"),
        "{err}"
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_cell() {
    let s = serde_json::json!({"name": "E", "columns": [{"header": "Date", "type": "date"}], "rows": [["2026-03-01"], ["2026-03-02"], ["2026-03-03"], ["03/01/2026"]]});
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert_eq!(
        err,
        "invalid spec at `sheets[0].rows[3][0]`: \"03/01/2026\" is not a date; write dates as YYYY-MM-DD"
    );
}

#[test]
fn unknown_fields_and_types_are_named() {
    let mut s = sheet("A");
    s["columns"][1]["type"] = "money".into();
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(
        err.contains("sheets[0].columns[1].type") && err.contains("unknown variant `money`"),
        "{err}"
    );
    let mut s = sheet("A");
    s["freeze"] = true.into();
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(err.contains("unknown field `freeze`"), "{err}");
}

#[test]
fn charts_must_reference_existing_sheets_and_valid_ranges() {
    let chart = |values: &str| serde_json::json!({"sheets": [sheet("Data")], "charts": [{"kind": "line", "series": [{"values": values}]}]});
    check(chart("Data!B2:B2")).unwrap();
    check(chart("B2:B9")).unwrap();
    let err = check(chart("Sales!B2:B9")).unwrap_err();
    assert!(
        err.contains("`charts[0].series[0].values`") && err.contains("no sheet named \"Sales\""),
        "{err}"
    );
    let err = check(chart("Data!B2:ZZZZ9")).unwrap_err();
    assert!(err.contains("is not a cell range"), "{err}");
    let err = check(chart("Data!A2:B9")).unwrap_err();
    assert!(err.contains("spans several rows and columns"), "{err}");
    let pie = serde_json::json!({"sheets": [sheet("Data")], "charts": [{"kind": "pie", "series": [{"values": "B2:B2"}, {"values": "B2:B2"}]}]});
    assert!(check(pie).unwrap_err().contains("exactly one series"));
    let scatter = serde_json::json!({"sheets": [sheet("Data")], "charts": [{"kind": "scatter", "series": [{"values": "B2:B2"}]}]});
    assert!(
        check(scatter)
            .unwrap_err()
            .contains("`charts[0].categories`")
    );
}

#[test]
fn totals_conditional_formats_and_tables_check_their_references() {
    let mut s = sheet("A");
    s["totals"] = serde_json::json!({"columns": {"Amount": "sum", "Price": "sum"}});
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(
        err.contains("totals.columns.Price") && err.contains("no column is headed \"Price\""),
        "{err}"
    );
    let mut s = sheet("A");
    s["conditional_formats"] = serde_json::json!([{"rule": {"type": "data_bar"}}]);
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(err.contains("exactly one of `column`"), "{err}");
    let mut s = sheet("A");
    s["conditional_formats"] = serde_json::json!([{"column": "Amount", "rule": {"type": "cell", "operator": "between", "value": 1}}]);
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(err.contains("rule.value2"), "{err}");
    let mut s = sheet("A");
    s["conditional_formats"] =
        serde_json::json!([{"range": "B:B", "rule": {"type": "data_bar", "color": "blue"}}]);
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(err.contains("conditional_formats[0].range"), "{err}");
    let mut s = sheet("A");
    s["table"] = serde_json::json!({"style": "medium99"});
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(
        err.contains("table.style") && err.contains("medium1–medium28"),
        "{err}"
    );
    let mut s = sheet("A");
    s["columns"][1]["header"] = "item".into();
    s["table"] = serde_json::json!({});
    let err = check(serde_json::json!({"sheets": [s]})).unwrap_err();
    assert!(err.contains("must be non-empty and unique"), "{err}");
}

#[test]
fn table_styles_are_named_as_in_excel() {
    use rust_xlsxwriter::TableStyle;
    assert!(super::super::styles::table_style("medium9") == Some(TableStyle::Medium9));
    assert!(super::super::styles::table_style("TableStyleLight21") == Some(TableStyle::Light21));
    assert!(super::super::styles::table_style("dark11") == Some(TableStyle::Dark11));
    assert!(super::super::styles::table_style("dark12").is_none());
}

#[test]
fn the_schema_documents_cells_for_the_model() {
    let schema = crate::spec::schema::<SpreadsheetSpec>().to_string();
    assert!(schema.contains("YYYY-MM-DD"), "{schema}");
    assert!(schema.contains("\"formula\""), "{schema}");
    assert!(!schema.contains("$ref"), "{schema}");
}
