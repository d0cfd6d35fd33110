use super::*;

#[test]
fn numbers_show_without_binary_noise() {
    assert_eq!(show_number(42.0), "42");
    assert_eq!(show_number(0.1 + 0.2), "0.3");
    assert_eq!(show_number(-1234.5), "-1234.5");
    assert_eq!(show_number(1e20), "1e20");
}

#[test]
fn delimiters_are_sniffed() {
    assert_eq!(sniff_delimiter("a;b;c\n1;2,5;3\n"), b';');
    assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
    assert_eq!(sniff_delimiter("a,b\n1,2\n"), b',');
    assert_eq!(sniff_delimiter("just text\n"), b',');
}

#[test]
fn windows_1252_csv_is_decoded_with_a_note() {
    let bytes = b"Name;Price\nCaf\xe9;\x805\n";
    let text = read(Format::Csv, "prices.csv", bytes, &ReadOptions::default()).unwrap();
    assert!(
        text.starts_with("_Not UTF-8: decoded as Windows-1252"),
        "{text}"
    );
    assert!(text.contains("| Café | €5 |"), "{text}");
}

#[test]
fn cells_with_pipes_and_newlines_stay_in_their_column() {
    let text = read(
        Format::Csv,
        "a.csv",
        b"a,b\n\"x|y\",\"line1\nline2\"\n",
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(text.contains("| x\\|y | line1<br>line2 |"), "{text}");
    assert!(
        text.contains("## Sheet: a.csv (2 rows × 2 columns)"),
        "{text}"
    );
}

#[test]
fn output_is_capped_in_characters() {
    let mut csv = String::from("n,text\n");
    for i in 0..1000 {
        csv.push_str(&format!("{i},{}\n", "x".repeat(50)));
    }
    let options = ReadOptions {
        max_rows: 10_000,
        max_chars: 2_000,
    };
    let text = read(Format::Csv, "big.csv", csv.as_bytes(), &options).unwrap();
    assert!(text.len() < 2_200, "{}", text.len());
    assert!(
        text.ends_with("… output truncated at 2000 characters\n"),
        "{text}"
    );
}

#[test]
fn an_empty_sheet_says_so() {
    let text = read(Format::Csv, "empty.csv", b"", &ReadOptions::default()).unwrap();
    assert_eq!(text, "## Sheet: empty.csv (empty)\n");
}
