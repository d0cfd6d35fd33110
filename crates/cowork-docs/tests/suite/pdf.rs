//! PDF reports opened by poppler (pdftotext, pdfinfo, pdffonts, pdftoppm)
//! and by our own reader; the reader on broken and encrypted files.

use std::path::{Path, PathBuf};
use std::process::Command;

use cowork_docs::chart::{ChartKind, ChartSpec, Series};
use cowork_docs::read::{ReadOptions, read};
use cowork_docs::report::{PageSize, ReportSpec};
use cowork_docs::{DirAssets, DocsError, NoAssets, pdf};

use super::consumers;

const REPORT: &str = r#"# Executive summary

Revenue grew **18%** year on year to *€4.2 million*, driven by the
Straße & Söhne account and the new `subscriptions` tier. See the
[annual filing](https://example.org/filing) for detail.

## Highlights

- Gross margin rose to 61%
  - Hosting costs fell after the migration
  - Support headcount flat
- Churn halved
1. First priority: retention
2. Second priority: expansion

- [x] Close the books
- [ ] Board review

## Figures

| Region | Q1 | Q2 | Change |
|:-------|---:|---:|:------:|
| North  | 1,200 | 1,450 | +21% |
| South  | 980 | 1,010 | +3% |
| East   | 400 | 610 | +53% |

![Quarterly revenue by region](chart:revenue)

![Company logo](logo.png "The logo, as a plain PNG")

> Our customers stayed because the product kept getting better.
> — Head of Sales

```rust
fn margin(revenue: f64, cost: f64) -> f64 {
    (revenue - cost) / revenue
}
```

---

\newpage

# Appendix

Emoji fallback 🙂 and a naïve café déjà vu.
"#;

fn chart() -> ChartSpec {
    ChartSpec {
        kind: ChartKind::Column,
        title: Some("Revenue by region".into()),
        categories: vec!["North".into(), "South".into(), "East".into()],
        series: vec![
            Series {
                name: "Q1".into(),
                values: vec![1200.0, 980.0, 400.0],
                points: vec![],
            },
            Series {
                name: "Q2".into(),
                values: vec![1450.0, 1010.0, 610.0],
                points: vec![],
            },
        ],
        x_label: None,
        y_label: Some("kEUR".into()),
        legend: None,
        width: None,
        height: None,
        colors: vec![],
    }
}

fn report() -> ReportSpec {
    ReportSpec {
        markdown: REPORT.to_owned(),
        title: Some("Annual Report 2026".into()),
        subtitle: Some("Results, risks and the year ahead".into()),
        author: Some("Finance Team".into()),
        date: Some("24 November 2026".into()),
        title_page: true,
        toc: true,
        header: Some("Acme GmbH — Confidential".into()),
        footer: Some("Prepared by cowork".into()),
        page_size: PageSize::A4,
        charts: [("revenue".to_owned(), chart())].into(),
    }
}

/// Writes the report with a `logo.png` next to it; returns the PDF's path.
fn write_report(dir: &Path, spec: &ReportSpec) -> PathBuf {
    let logo = cowork_docs::chart::render_png(&ChartSpec {
        kind: ChartKind::Pie,
        title: None,
        categories: vec!["a".into(), "b".into()],
        series: vec![Series {
            name: "logo".into(),
            values: vec![3.0, 1.0],
            points: vec![],
        }],
        width: Some(200),
        height: Some(200),
        ..chart()
    })
    .unwrap();
    std::fs::write(dir.join("logo.png"), logo).unwrap();
    let bytes = pdf::write(spec, &DirAssets::new(dir)).unwrap();
    let path = dir.join("report.pdf");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(program: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(program).args(args).arg(file).output().unwrap();
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pdftotext's layout of one page, with whitespace runs squeezed.
fn page_text(file: &Path, page: u32) -> String {
    let page = page.to_string();
    let out = Command::new("pdftotext")
        .args(["-f", &page, "-l", &page, "-enc", "UTF-8"])
        .arg(file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_full_report_opens_in_poppler_with_its_text_fonts_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_report(dir.path(), &report());
    if !consumers::available("pdfinfo") {
        return;
    }

    let info = run("pdfinfo", &[], &file);
    assert!(
        info.contains("Title:           Annual Report 2026"),
        "{info}"
    );
    assert!(info.contains("Author:          Finance Team"), "{info}");
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((4..=7).contains(&pages), "{pages} pages");

    let fonts = run("pdffonts", &[], &file);
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty(), "{fonts}");
    for line in &font_lines {
        // Columns: name type encoding emb sub uni object ID.
        let cols: Vec<&str> = line.split_whitespace().collect();
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "font not embedded: {line}");
    }
    assert!(fonts.contains("LibertinusSerif"), "{fonts}");
    assert!(fonts.contains("DejaVuSansMono"), "{fonts}");

    let title = page_text(&file, 1);
    for expected in [
        "Annual Report 2026",
        "Results, risks and the year ahead",
        "Finance Team",
        "24 November 2026",
    ] {
        assert!(
            title.contains(expected),
            "title page lacks {expected}: {title}"
        );
    }
    assert!(
        !title.contains("Page 1"),
        "the title page has no footer: {title}"
    );

    let toc = page_text(&file, 2);
    assert!(toc.contains("Contents"), "{toc}");
    assert!(
        toc.contains("Executive summary") && toc.contains("Appendix"),
        "{toc}"
    );
    assert!(toc.contains("Acme GmbH — Confidential"), "header: {toc}");
    assert!(
        toc.contains(&format!("Page 1 of {}", pages - 1)),
        "footer counts from after the title page: {toc}"
    );
    assert!(toc.contains("Prepared by cowork"), "{toc}");

    let all = (3..=pages).map(|p| page_text(&file, p)).collect::<Vec<_>>();
    let body = all.join(" ");
    for expected in [
        "Revenue grew 18% year on year to €4.2 million",
        "Straße & Söhne",
        "annual filing",
        "Hosting costs fell after the migration",
        "First priority: retention",
        "Region Q1 Q2 Change",
        "North 1,200 1,450 +21%",
        "Figure 1: Quarterly revenue by region",
        "The logo, as a plain PNG",
        "Our customers stayed because",
        "fn margin(revenue: f64, cost: f64) -> f64 {",
        "naïve café déjà vu",
    ] {
        assert!(body.contains(expected), "body lacks {expected:?}: {body}");
    }
    let appendix = all.last().unwrap();
    assert!(
        appendix.starts_with("Acme GmbH — Confidential Appendix"),
        "the page break puts the appendix on its own page: {appendix}"
    );

    if consumers::available("pdftoppm") {
        let out = Command::new("pdftoppm")
            .args(["-png", "-r", "30"])
            .arg(&file)
            .arg(dir.path().join("page"))
            .output()
            .unwrap();
        assert!(out.status.success());
        let rendered = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("page")
            })
            .count();
        assert_eq!(rendered as u32, pages);
    }
}

#[test]
fn our_reader_reads_our_report_back_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_report(dir.path(), &report());
    let text = read(
        "report.pdf",
        &std::fs::read(file).unwrap(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(text.starts_with("## Page 1\n\n"), "{text}");
    let title = text.split("## Page 2").next().unwrap();
    assert!(title.contains("Annual Report 2026"), "{title}");
    let rest = text.split("## Page 3").nth(1).unwrap();
    assert!(rest.contains("Executive summary"), "{rest}");
    assert!(rest.contains("Straße"), "{rest}");
}

#[test]
fn typst_syntax_in_user_text_is_printed_not_run() {
    let nasty = [
        r#"#import "/etc/passwd""#,
        "$x^2$ and #set page(fill: red)",
        r"] closes \ and \\ doubles ]] [",
        "<script>alert(1)</script> @ref <label>",
        r#"#read("/etc/hostname") "quoted" ` ~ * _ = / -- ..."#,
    ];
    let markdown = format!(
        "# {0}\n\n{1}\n\n- {2}\n\n| {3} |\n|---|\n| `{4}` |\n\n> [{0}](https://x.org/)\n\n\\newpage\n\nEnd.\n",
        nasty[0],
        nasty[1],
        nasty[2].replace('\\', "\\\\"),
        nasty[3],
        nasty[4].replace('`', ""),
    );
    let spec = ReportSpec {
        title: Some(r#"#panic("title")"#.into()),
        subtitle: Some(nasty[3].into()),
        header: Some("#sys.inputs".into()),
        footer: Some("]\\ $ #".into()),
        ..cowork_docs::spec::parse(&serde_json::json!({ "markdown": markdown })).unwrap()
    };
    let bytes = pdf::write(&spec, &NoAssets).unwrap();
    let text = read("nasty.pdf", &bytes, &ReadOptions::default()).unwrap();
    let squeezed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "#panic(\"title\")",
        "#import \"/etc/passwd\"",
        "$x^2$ and #set page(fill: red)",
        "] closes \\ and \\\\ doubles ]] [",
        "<script>alert(1)</script> @ref <label>",
        "#read(\"/etc/hostname\")",
        "]\\ $ #",
        "#sys.inputs",
    ] {
        assert!(
            squeezed.contains(expected),
            "{expected:?} missing from {squeezed}"
        );
    }
}

#[test]
fn letter_paper_gives_us_letter_pages() {
    let spec = ReportSpec {
        page_size: PageSize::Letter,
        ..cowork_docs::spec::parse(&serde_json::json!({ "markdown": "Hello" })).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("letter.pdf");
    std::fs::write(&file, pdf::write(&spec, &NoAssets).unwrap()).unwrap();
    if consumers::available("pdfinfo") {
        let info = run("pdfinfo", &[], &file);
        assert!(info.contains("612 x 792 pts (letter)"), "{info}");
    }
}

#[test]
fn corrupt_and_truncated_pdfs_give_clear_errors() {
    let good = pdf::write(&report_without_assets(), &NoAssets).unwrap();
    for cut in [10, 100, good.len() / 3, good.len() / 2] {
        match read("cut.pdf", &good[..cut], &ReadOptions::default()) {
            Err(DocsError::Corrupt { format: "PDF", .. }) | Ok(_) => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    let mut flipped = good.clone();
    for i in (200..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    match read("flipped.pdf", &flipped, &ReadOptions::default()) {
        Err(DocsError::Corrupt { .. }) | Ok(_) => {}
        other => panic!("{other:?}"),
    }
    let err = read("empty.pdf", b"", &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not a PDF"), "{err}");
}

fn report_without_assets() -> ReportSpec {
    ReportSpec {
        markdown: REPORT.replace("![Company logo](logo.png \"The logo, as a plain PNG\")", ""),
        ..report()
    }
}

#[test]
fn a_password_protected_pdf_is_reported_as_encrypted() {
    if !consumers::available("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(
        &plain,
        pdf::write(&report_without_assets(), &NoAssets).unwrap(),
    )
    .unwrap();

    let locked = dir.path().join("locked.pdf");
    let status = Command::new("qpdf")
        .args(["--encrypt", "secret", "owner", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .unwrap();
    assert!(status.success());
    let err = read(
        "locked.pdf",
        &std::fs::read(&locked).unwrap(),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DocsError::Encrypted { format: "PDF" }),
        "{err}"
    );

    // An empty user password only restricts editing: viewers open it, so
    // do we.
    let restricted = dir.path().join("restricted.pdf");
    let status = Command::new("qpdf")
        .args(["--encrypt", "", "owner", "256", "--"])
        .arg(&plain)
        .arg(&restricted)
        .status()
        .unwrap();
    assert!(status.success());
    let text = read(
        "restricted.pdf",
        &std::fs::read(&restricted).unwrap(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(text.contains("Annual Report 2026"), "{text}");
}
