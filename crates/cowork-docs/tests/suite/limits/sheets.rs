//! Spreadsheets: XLSX, ODS, XLS and CSV that declare more than they hold.

use std::io::{Cursor, Write as _};

use cowork_docs::DocsError;
use cowork_docs::read::{ReadOptions, read};

use super::{in_bounded_child, zip};

/// An XLSX whose one sheet `Data` has `sheet_data` as its `<sheetData>`.
fn xlsx(dimension: &str, sheet_data: &str) -> Vec<u8> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let sheet = format!(
        r#"<worksheet xmlns="{main}"><dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    let workbook = format!(
        r#"<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    let root_rels = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let types = r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
    zip(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

/// The review's example: a 1.5 KB workbook whose cells A1 and XFD1048576
/// made calamine allocate a dense range of 17 billion cells (512 GiB).
#[test]
fn an_xlsx_with_only_a1_and_xfd1048576_is_read_capped_without_a_dense_range() {
    in_bounded_child(
        module_path!(),
        "an_xlsx_with_only_a1_and_xfd1048576_is_read_capped_without_a_dense_range",
        || {
            let bytes = xlsx(
                "A1:XFD1048576",
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>7</v></c></row>"#,
            );
            assert!(bytes.len() < 2048, "{}", bytes.len());
            let text = read("huge.xlsx", &bytes, &ReadOptions::default()).unwrap();
            assert!(
                text.contains("## Sheet: Data (1048576 rows × 16384 columns)"),
                "{text}"
            );
            assert!(text.contains("| first |"), "{text}");
            assert!(text.contains("… 16128 more columns not shown"), "{text}");
            assert!(text.len() < 250_000, "{}", text.len());
        },
    );
}

/// A lying `<dimension>` and cells out of order change nothing: the
/// reader takes its extent from the cells, streamed.
#[test]
fn an_xlsx_whose_dimension_lies_and_cells_come_out_of_order_reads_the_same() {
    in_bounded_child(
        module_path!(),
        "an_xlsx_whose_dimension_lies_and_cells_come_out_of_order_reads_the_same",
        || {
            let bytes = xlsx(
                "A1:B2",
                r#"<row r="900000"><c r="ZZ900000"><v>9</v></c></row><row r="2"><c r="B2"><v>1</v></c></row>"#,
            );
            let text = read("lies.xlsx", &bytes, &ReadOptions::default()).unwrap();
            assert!(
                text.contains("## Sheet: Data (899999 rows × 701 columns)"),
                "{text}"
            );
            assert!(text.starts_with("## Sheet: Data"), "{text}");
            assert!(text.contains("| 1 |"), "{text}");
        },
    );
}

/// Opening a workbook loads its shared strings and cell formats whole:
/// calamine reserved `uniqueCount` strings as declared (240 GB here), and
/// keeps each five-byte `<xf/>` as a style of a hundred bytes or more.
#[test]
fn an_xlsx_declaring_billions_of_shared_strings_or_formats_is_refused() {
    in_bounded_child(
        module_path!(),
        "an_xlsx_declaring_billions_of_shared_strings_or_formats_is_refused",
        || {
            let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
            let sst =
                format!(r#"<sst xmlns="{main}" uniqueCount="10000000000"><si><t>a</t></si></sst>"#);
            let styles = format!(
                r#"<styleSheet xmlns="{main}"><cellXfs>{}</cellXfs></styleSheet>"#,
                "<xf/>".repeat(300_000)
            );
            for (part, text, expect) in [
                ("xl/sharedStrings.xml", sst, "10,000,000,000 shared strings"),
                ("xl/styles.xml", styles, "256,001 cell formats"),
            ] {
                let mut bytes = zip::ZipWriter::new_append(Cursor::new(xlsx("A1", ""))).unwrap();
                bytes
                    .start_file(part, zip::write::SimpleFileOptions::default())
                    .unwrap();
                bytes.write_all(text.as_bytes()).unwrap();
                let bytes = bytes.finish().unwrap().into_inner();
                let err = read("strings.xlsx", &bytes, &ReadOptions::default()).unwrap_err();
                assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
                assert!(err.to_string().contains(expect), "{err}");
                assert!(err.to_string().contains(part), "{err}");
            }
        },
    );
}

/// An ODS whose one cell is repeated over 16,384 columns and 1,048,576
/// rows: calamine would expand it into a dense range before we see it.
fn ods(table: &str) -> Vec<u8> {
    let content = format!(
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
    );
    zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content.as_bytes()),
    ])
}

#[test]
fn an_ods_repeating_one_cell_over_the_whole_sheet_is_refused_by_its_declared_size() {
    in_bounded_child(
        module_path!(),
        "an_ods_repeating_one_cell_over_the_whole_sheet_is_refused_by_its_declared_size",
        || {
            let bytes = ods(
                r#"<table:table table:name="Data"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
            );
            let err = read("repeat.ods", &bytes, &ReadOptions::default()).unwrap_err();
            assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
            let text = err.to_string();
            assert!(text.contains("sheet `Data`"), "{text}");
            assert!(text.contains("16,384 columns"), "{text}");
            assert!(text.contains("2,000,000 cells"), "{text}");
        },
    );
}

#[test]
fn an_ods_with_two_far_apart_cells_is_refused_before_calamine_fills_the_gap() {
    in_bounded_child(
        module_path!(),
        "an_ods_with_two_far_apart_cells_is_refused_before_calamine_fills_the_gap",
        || {
            let bytes = ods(
                r#"<table:table table:name="Gap"><table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="16000"/><table:table-cell office:value-type="float" office:value="2"/></table:table-row></table:table>"#,
            );
            let err = read("gap.ods", &bytes, &ReadOptions::default()).unwrap_err();
            assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
            assert!(err.to_string().contains("sheet `Gap`"), "{err}");
        },
    );
}

/// A CFB (OLE) file holding `workbook` as its `Workbook` stream, padded to
/// 4 KB so it lives in regular sectors. `fat_hook` may damage the FAT.
fn xls(workbook: &[u8], fat_hook: impl FnOnce(&mut [u32])) -> Vec<u8> {
    const END: u32 = 0xFFFF_FFFE;
    const FREE: u32 = 0xFFFF_FFFF;
    let mut stream = workbook.to_vec();
    stream.resize(stream.len().max(4096).next_multiple_of(512), 0);
    let sectors = stream.len() / 512;
    // Sector 0: the FAT; 1: the directory; 2..: the stream.
    let mut fat = vec![FREE; 128];
    fat[0] = 0xFFFF_FFFD;
    fat[1] = END;
    for i in 0..sectors {
        fat[2 + i] = if i + 1 == sectors { END } else { 3 + i as u32 };
    }
    fat_hook(&mut fat);
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
    header[26..28].copy_from_slice(&3u16.to_le_bytes());
    header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    header[30..32].copy_from_slice(&9u16.to_le_bytes());
    header[32..34].copy_from_slice(&6u16.to_le_bytes());
    header[44..48].copy_from_slice(&1u32.to_le_bytes());
    header[48..52].copy_from_slice(&1u32.to_le_bytes());
    header[56..60].copy_from_slice(&4096u32.to_le_bytes());
    header[60..64].copy_from_slice(&END.to_le_bytes());
    header[68..72].copy_from_slice(&END.to_le_bytes());
    for (i, chunk) in header[76..512].chunks_mut(4).enumerate() {
        let id = if i == 0 { 0 } else { FREE };
        chunk.copy_from_slice(&id.to_le_bytes());
    }
    let mut directory = vec![0u8; 512];
    let mut entry = |slot: usize, name: &str, kind: u8, start: u32, len: u32| {
        let e = &mut directory[slot * 128..(slot + 1) * 128];
        let units: Vec<u16> = name.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        e[64..66].copy_from_slice(&(2 * (units.len() as u16 + 1)).to_le_bytes());
        e[66] = kind;
        e[68..80].copy_from_slice(&[0xFF; 12]);
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&len.to_le_bytes());
    };
    entry(0, "Root Entry", 5, END, 0);
    entry(1, "Workbook", 2, 2, stream.len() as u32);
    let mut out = header;
    out.extend(fat.iter().flat_map(|w| w.to_le_bytes()));
    out.extend(directory);
    out.extend(stream);
    out
}

fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
    out
}

/// A BIFF8 workbook with one sheet `Data` holding numbers at `cells`.
fn biff(cells: &[(u16, u16)]) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut data = 0x0600u16.to_le_bytes().to_vec();
        data.extend(dt.to_le_bytes());
        data.extend([0; 12]);
        record(0x0809, &data)
    };
    let name = b"Data";
    // Record header, position, four flag bytes, the name.
    let bound_sheet_len = 4 + 4 + 4 + name.len();
    let globals_len = bof(5).len() + bound_sheet_len + 4;
    let mut bound = (globals_len as u32).to_le_bytes().to_vec();
    bound.extend([0, 0, name.len() as u8, 0]);
    bound.extend(name);
    let mut out = bof(5);
    out.extend(record(0x0085, &bound));
    out.extend(record(0x000A, &[]));
    assert_eq!(out.len(), globals_len);
    out.extend(bof(0x10));
    for &(row, col) in cells {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend(0u16.to_le_bytes());
        data.extend(1.5f64.to_le_bytes());
        out.extend(record(0x0203, &data));
    }
    out.extend(record(0x000A, &[]));
    out
}

#[test]
fn an_xls_whose_two_cells_span_the_whole_sheet_is_refused_by_its_size() {
    in_bounded_child(
        module_path!(),
        "an_xls_whose_two_cells_span_the_whole_sheet_is_refused_by_its_size",
        || {
            // Read as it is, the file is fine: the scan agrees with calamine.
            let small = xls(&biff(&[(0, 0), (3, 2)]), |_| {});
            let text = read("small.xls", &small, &ReadOptions::default()).unwrap();
            assert!(
                text.contains("## Sheet: Data (4 rows × 3 columns)"),
                "{text}"
            );
            let bytes = xls(&biff(&[(0, 0), (65_535, 65_535)]), |_| {});
            let err = read("span.xls", &bytes, &ReadOptions::default()).unwrap_err();
            assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
            let text = err.to_string();
            assert!(
                text.contains("sheet `Data` declares 65,536 rows × 65,536 columns"),
                "{text}"
            );
        },
    );
}

/// calamine follows the directory's sector chain until it ends: a chain
/// pointing back at itself grew its buffer until memory ran out.
#[test]
fn an_xls_whose_sector_chain_loops_is_refused_instead_of_growing_forever() {
    in_bounded_child(
        module_path!(),
        "an_xls_whose_sector_chain_loops_is_refused_instead_of_growing_forever",
        || {
            let bytes = xls(&biff(&[(0, 0)]), |fat| fat[1] = 1);
            let err = read("loop.xls", &bytes, &ReadOptions::default()).unwrap_err();
            assert!(err.to_string().contains("loops back on itself"), "{err}");
        },
    );
}

/// The csv reader keeps every field's bounds: a 2 MB line of commas was
/// 16 MB of bounds, a 100 MB one 800 MB. A quote in mid-field is literal
/// and does not hide the commas after it.
#[test]
fn a_csv_record_with_millions_of_fields_is_refused() {
    in_bounded_child(
        module_path!(),
        "a_csv_record_with_millions_of_fields_is_refused",
        || {
            for prefix in ["", "a\"", "\"quoted, with a comma\""] {
                let line = format!("{prefix}{}\n", ",".repeat(2_000_000));
                let err = read("wide.csv", line.as_bytes(), &ReadOptions::default()).unwrap_err();
                assert!(matches!(err, DocsError::TooLarge { .. }), "{prefix}: {err}");
                assert!(err.to_string().contains("line 1"), "{err}");
            }
        },
    );
}

#[test]
fn a_csv_with_one_gigantic_field_is_read_capped() {
    in_bounded_child(
        module_path!(),
        "a_csv_with_one_gigantic_field_is_read_capped",
        || {
            let csv = format!("a,b\n\"{}\",2\n", "y".repeat(2 << 20));
            let options = ReadOptions::default();
            let text = read("long.csv", csv.as_bytes(), &options).unwrap();
            assert!(
                text.contains("## Sheet: long.csv (2 rows × 2 columns)"),
                "{text}"
            );
            assert!(text.len() < options.max_chars + 200, "{}", text.len());
        },
    );
}

#[test]
fn a_csv_with_more_rows_than_shown_counts_them_without_keeping_them() {
    let csv: String = (0..100_000).map(|i| format!("{i},x\n")).collect();
    let options = ReadOptions {
        max_rows: 3,
        max_chars: 10_000,
    };
    let text = read("rows.csv", csv.as_bytes(), &options).unwrap();
    assert!(text.contains("(100000 rows × 2 columns)"), "{text}");
    assert!(text.contains("| 2 | x |"), "{text}");
    assert!(text.contains("… 99996 more rows"), "{text}");
}
