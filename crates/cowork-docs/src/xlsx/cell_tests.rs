use super::*;

#[test]
fn iso_dates_become_excel_serials() {
    assert_eq!(date_serial("1900-01-01"), Some(1.0));
    assert_eq!(date_serial("1900-03-01"), Some(61.0));
    assert_eq!(date_serial("2026-03-01"), Some(46082.0));
    assert_eq!(date_serial("2024-02-29"), Some(45351.0));
    assert_eq!(date_serial("2023-02-29"), None);
    assert_eq!(date_serial("2026-13-01"), None);
    assert_eq!(date_serial("03/01/2026"), None);
    assert_eq!(date_serial("2026-3-1"), None);
}

#[test]
fn iso_datetimes_carry_the_time_of_day() {
    assert_eq!(datetime_serial("2026-03-01T12:00"), Some(46082.5));
    assert_eq!(datetime_serial("2026-03-01 06:00:00"), Some(46082.25));
    assert_eq!(datetime_serial("2026-03-01"), Some(46082.0));
    assert_eq!(datetime_serial("2026-03-01T25:00"), None);
    assert_eq!(datetime_serial("2026-03-01X12:00"), None);
}

#[test]
fn values_are_typed_against_their_column() {
    let date = CellValue::Text("2026-03-01".into());
    assert!(
        matches!(typed(&date, ColumnType::Date), Ok(Typed::Date { serial, .. }) if serial == 46082.0)
    );
    assert!(matches!(
        typed(&date, ColumnType::Auto),
        Ok(Typed::Date { .. })
    ));
    assert!(matches!(typed(&date, ColumnType::Text), Ok(Typed::Text(_))));
    let err = typed(&CellValue::Text("03/01/2026".into()), ColumnType::Date).unwrap_err();
    assert_eq!(
        err,
        "\"03/01/2026\" is not a date; write dates as YYYY-MM-DD"
    );
    let err = typed(&CellValue::Text("$42".into()), ColumnType::Currency).unwrap_err();
    assert!(
        err.starts_with("\"$42\" is not a number; write numbers as JSON numbers"),
        "{err}"
    );
    let err = typed(&CellValue::Number(1.0), ColumnType::Boolean).unwrap_err();
    assert!(err.contains("write true or false"), "{err}");
    assert_eq!(
        typed(&CellValue::Empty, ColumnType::Currency),
        Ok(Typed::Blank)
    );
    let formula = CellValue::from("=SUM(A1:A3)");
    assert!(matches!(
        typed(&formula, ColumnType::Date),
        Ok(Typed::Formula {
            formula: "=SUM(A1:A3)",
            result: None
        })
    ));
}

#[test]
fn json_cells_deserialize_to_values_formulas_and_literal_text() {
    let cells: Vec<CellValue> = serde_json::from_value(serde_json::json!([
        1.5, 3, "x", "=A1*2", true, null,
        {"formula": "SUM(A1:A2)", "result": 4.5},
        {"text": "=literal"}
    ]))
    .unwrap();
    assert_eq!(cells[0], CellValue::Number(1.5));
    assert_eq!(cells[1], CellValue::Number(3.0));
    assert_eq!(cells[2], CellValue::Text("x".into()));
    assert_eq!(cells[3], CellValue::formula("=A1*2"));
    assert_eq!(cells[4], CellValue::Bool(true));
    assert_eq!(cells[5], CellValue::Empty);
    assert_eq!(
        cells[6],
        CellValue::Formula {
            formula: "=SUM(A1:A2)".into(),
            result: Some(FormulaResult::Number(4.5))
        }
    );
    assert_eq!(cells[7], CellValue::Text("=literal".into()));
    let err = serde_json::from_value::<CellValue>(serde_json::json!({"formula": "=1", "value": 2}))
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `value`"), "{err}");
    assert!(serde_json::from_value::<CellValue>(serde_json::json!([1])).is_err());
}

#[test]
fn a1_references_parse_with_sheets_and_dollars() {
    assert_eq!(parse_cell("A1"), Some((0, 0)));
    assert_eq!(parse_cell("$AB$12"), Some((11, 27)));
    assert_eq!(parse_cell("XFD1048576"), Some((1_048_575, 16_383)));
    assert_eq!(parse_cell("XFE1"), None);
    assert_eq!(parse_cell("A0"), None);
    assert_eq!(parse_cell("1A"), None);
    let r = parse_range("'Q1 ''Budget'''!$C$9:C2").unwrap();
    assert_eq!(r.sheet.as_deref(), Some("Q1 'Budget'"));
    assert_eq!((r.first, r.last), ((1, 2), (8, 2)));
    let r = parse_range("Expenses!B2:B9").unwrap();
    assert_eq!(r.sheet.as_deref(), Some("Expenses"));
    assert_eq!(parse_range("C2:C9").unwrap().sheet, None);
    assert!(
        parse_range("Expenses!")
            .unwrap_err()
            .contains("is not a cell range")
    );
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(27), "AB");
    assert_eq!(column_name(16_383), "XFD");
}
