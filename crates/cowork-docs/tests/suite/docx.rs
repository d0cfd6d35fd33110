//! Word documents: a realistic board memo opened by python-docx and
//! LibreOffice, read back by our own reader; broken, encrypted and legacy
//! files given to the reader.

use std::path::Path;
use std::process::Command;

use cowork_docs::read::{self, ReadOptions};
use cowork_docs::report::ReportSpec;
use cowork_docs::{DirAssets, DocsError, NoAssets, docx, spec};

use super::consumers;

const MEMO: &str = r#"# Summary

Revenue grew **12%** year on year to *€48.2m*, ahead of plan. Operating
margin held at `18.4%` despite ~~two~~ three new hires in sales. Details are
on the [investor site](https://example.org/q3?a=1&b=2).

## Highlights

- New customers: 214 (plan: 180)
- Churn fell to 2.1%
  - Enterprise churn: 0.8%
  - SMB churn: 3.4%
    - mostly in the first 90 days
- Net revenue retention: 118%

## Decisions requested

1. Approve the FY27 budget
2. Approve hiring plan
   1. Two account executives
   2. One solutions engineer
3. Note the risk register

Second numbered list, which must restart at 1:

1. Alpha
2. Beta

## Financials

| Metric | Q2 | Q3 | Change |
|:-------|---:|---:|:------:|
| Revenue (€m) | 43.0 | 48.2 | +12% |
| Gross margin | 71% | 72% | +1pt |
| Headcount | 212 | 231 | +19 |

![Revenue by quarter](chart:revenue)

> Our largest customer renewed for three years, and expanded to
> two more business units.

\newpage

# Appendix

### Method & sources < 2026

Numbers are unaudited.

```sql
SELECT quarter, SUM(amount)
  FROM revenue
 GROUP BY quarter;
```
"#;

fn memo() -> ReportSpec {
    spec::parse(&serde_json::json!({
        "title": "Q3 Board Memo",
        "subtitle": "Results, decisions and risks",
        "author": "Finance team",
        "date": "24 November 2026",
        "title_page": true,
        "toc": true,
        "header": "Acme Corp — Confidential",
        "footer": "Q3 Board Memo",
        "markdown": MEMO,
        "charts": {
            "revenue": {
                "kind": "column",
                "title": "Revenue by quarter",
                "categories": ["Q4", "Q1", "Q2", "Q3"],
                "series": [{"name": "Revenue (€m)", "values": [39.5, 41.2, 43.0, 48.2]}],
                "y_label": "€m"
            }
        }
    }))
    .unwrap()
}

fn write_memo(dir: &Path) -> std::path::PathBuf {
    let bytes = docx::write(&memo(), &NoAssets).unwrap();
    let path = dir.join("memo.docx");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn python_docx_sees_word_styles_tables_and_text() {
    if !consumers::python_has(&["docx"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_memo(dir.path());
    let out = consumers::python(
        r#"
import sys, docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
d = docx.Document(sys.argv[1])
# Every paragraph, the table of contents' (inside a content control) too.
for p in d.element.body.iter(qn("w:p")):
    p = Paragraph(p, d)
    print(p.style.name + "\t" + p.text)
for t in d.tables:
    print("TABLE", len(t.rows), len(t.columns), t.cell(0, 0).text, t.cell(1, 0).text, t.cell(3, 3).text)
print("CORE", d.core_properties.title, "|", d.core_properties.author)
print("PICTURES", len(d.inline_shapes))
s = d.sections[0]
print("SECTION", s.different_first_page_header_footer, s.page_width.mm if s.page_width else None)
print("HEADER", s.header.paragraphs[0].text)
print("FOOTER", s.footer.paragraphs[0].text)
"#,
        &[&path],
    );
    let has = |style: &str, text: &str| {
        out.lines()
            .any(|l| l.starts_with(&format!("{style}\t")) && l.contains(text))
    };
    assert!(has("Title", "Q3 Board Memo"), "{out}");
    assert!(has("Subtitle", "Results, decisions and risks"), "{out}");
    assert!(has("TOC Heading", "Contents"), "{out}");
    assert!(has("toc 2", "Highlights"), "{out}");
    assert!(has("Heading 1", "Summary"), "{out}");
    assert!(has("Heading 2", "Financials"), "{out}");
    assert!(has("Heading 3", "Method & sources < 2026"), "{out}");
    assert!(has("Normal", "Revenue grew 12% year on year"), "{out}");
    assert!(has("Normal", "investor site"), "{out}");
    assert!(has("List Bullet", "New customers: 214"), "{out}");
    assert!(has("List Bullet 2", "Enterprise churn"), "{out}");
    assert!(has("List Bullet 3", "first 90 days"), "{out}");
    assert!(has("List Number", "Approve the FY27 budget"), "{out}");
    assert!(has("List Number 2", "Two account executives"), "{out}");
    assert!(has("Quote", "largest customer renewed"), "{out}");
    assert!(has("Code", "SELECT quarter, SUM(amount)"), "{out}");
    assert!(
        out.contains("SUM(amount)\n  FROM revenue\n GROUP BY"),
        "code keeps its lines: {out}"
    );
    assert!(has("Caption", "Figure 1: Revenue by quarter"), "{out}");
    assert!(out.contains("TABLE 4 4 Metric Revenue (€m) +19"), "{out}");
    assert!(out.contains("CORE Q3 Board Memo | Finance team"), "{out}");
    assert!(out.contains("PICTURES 1"), "{out}");
    assert!(out.contains("SECTION True 210"), "{out}");
    assert!(out.contains("HEADER Acme Corp — Confidential"), "{out}");
    assert!(out.contains("FOOTER Q3 Board Memo\tPage 1 of 1"), "{out}");
}

#[test]
fn libreoffice_converts_the_memo_with_page_numbers() {
    // Not `consumers::available("pdftotext")`: poppler's tools exit 1 on
    // `--version`.
    if !consumers::available("soffice") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_memo(dir.path());
    let pdf = consumers::soffice_convert(&path, "pdf", dir.path());
    let Ok(text) = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
    else {
        assert!(
            std::env::var_os("COWORK_REQUIRE_CONSUMERS").is_none(),
            "pdftotext is required"
        );
        eprintln!("note: pdftotext is not installed; skipping this check");
        return;
    };
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 4, "title, contents, body, appendix: {text}");
    assert!(
        pages[0].contains("Q3 Board Memo") && !pages[0].contains("Page 1"),
        "{}",
        pages[0]
    );
    let last = pages.len();
    assert!(pages[1].contains("Contents") && pages[1].contains("Highlights"));
    assert!(
        pages[1].contains(&format!("Page 2 of {last}")),
        "{}",
        pages[1]
    );
    assert!(pages[last - 1].contains(&format!("Page {last} of {last}")));
    assert!(pages[2].contains("Acme Corp — Confidential"));
    assert!(text.contains("Figure 1: Revenue by quarter"));
    assert!(
        pages[last - 1].contains("Appendix"),
        "the page break moved the appendix"
    );
}

#[test]
fn our_reader_round_trips_our_memo() {
    let bytes = docx::write(&memo(), &NoAssets).unwrap();
    let md = read::read("memo.docx", &bytes, &ReadOptions::default()).unwrap();
    for expected in [
        "# Q3 Board Memo",
        "# Summary",
        "## Highlights",
        "### Method & sources < 2026",
        "Revenue grew **12%** year on year",
        "[investor site](https://example.org/q3?a=1&b=2)",
        "- New customers: 214",
        "    - Enterprise churn: 0.8%",
        "        - mostly in the first 90 days",
        "1. Approve the FY27 budget",
        "    1. Two account executives",
        "3. Note the risk register",
        "1. Alpha",
        "| Metric | Q2 | Q3 | Change |",
        "| Headcount | 212 | 231 | +19 |",
        "Figure 1: Revenue by quarter",
        "Page 1 of 1",
    ] {
        if expected == "Page 1 of 1" {
            assert!(!md.contains(expected), "the footer is not body text:\n{md}");
        } else {
            assert!(md.contains(expected), "missing {expected:?} in:\n{md}");
        }
    }
}

#[test]
fn images_come_from_assets_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("logo.png"), tiny_png(40, 20)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    let mut spec = memo();
    spec.markdown = "Logo: ![logo](logo.png)\n\n![The logo](logo.png)\n".to_owned();
    let bytes = docx::write(&spec, &DirAssets::new(dir.path())).unwrap();
    assert!(bytes.len() > 1000);

    spec.markdown = "![x](notes.txt)".to_owned();
    let err = docx::write(&spec, &DirAssets::new(dir.path())).unwrap_err();
    assert!(
        matches!(err, DocsError::Asset { ref name, .. } if name == "notes.txt"),
        "{err}"
    );

    spec.markdown = "![x](chart:nope)".to_owned();
    let err = docx::write(&spec, &NoAssets).unwrap_err();
    assert!(
        matches!(&err, DocsError::InvalidSpec { path, message } if path == "markdown" && message.contains("`chart:nope`") && message.contains("revenue")),
        "{err}"
    );
}

/// A valid grey PNG of `w` × `h` pixels (stored deflate blocks).
fn tiny_png(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut raw = Vec::new();
    for _ in 0..h {
        raw.push(0u8);
        raw.extend(std::iter::repeat_n(0x80u8, w as usize));
    }
    // zlib stream of one stored block (fine for tiny images).
    let mut z = vec![0x78, 0x01, 1];
    let len = u16::try_from(raw.len()).unwrap();
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&(!len).to_le_bytes());
    z.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn reader_names_broken_encrypted_and_legacy_files() {
    let opts = ReadOptions::default();
    let err = read::read("a.docx", b"not a zip at all", &opts).unwrap_err();
    assert!(
        matches!(err, DocsError::Corrupt { format: "DOCX", .. }),
        "{err}"
    );

    // A zip without word/document.xml.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("hello.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"hi").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let err = read::read("a.docx", &bytes, &opts).unwrap_err();
    assert!(
        matches!(err, DocsError::Corrupt { format: "DOCX", .. }),
        "{err}"
    );

    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let mut encrypted = ole.clone();
    encrypted.extend(utf16("EncryptionInfo"));
    encrypted.extend(utf16("EncryptedPackage"));
    let err = read::read("a.docx", &encrypted, &opts).unwrap_err();
    assert!(
        matches!(err, DocsError::Encrypted { format: "DOCX" }),
        "{err}"
    );

    let mut legacy = ole;
    legacy.extend(utf16("WordDocument"));
    let err = read::read("a.docx", &legacy, &opts).unwrap_err();
    assert!(err.to_string().contains(".doc"), "{err}");

    // Truncated in the middle of our own output.
    let good = docx::write(&memo(), &NoAssets).unwrap();
    for cut in [10, good.len() / 2, good.len() - 10] {
        assert!(read::read("a.docx", &good[..cut], &opts).is_err());
    }
}

#[test]
fn reader_caps_long_documents_with_a_note() {
    let mut spec = memo();
    spec.markdown = "Lorem ipsum dolor sit amet. ".repeat(2000);
    let bytes = docx::write(&spec, &NoAssets).unwrap();
    let md = read::read(
        "long.docx",
        &bytes,
        &ReadOptions {
            max_rows: 10,
            max_chars: 1000,
        },
    )
    .unwrap();
    assert!(md.chars().count() < 1200, "{}", md.len());
    assert!(md.contains("more characters not shown"), "{md}");
}
