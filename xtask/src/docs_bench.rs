//! `bench docs`: cowork's native writers against the Python libraries a
//! Cowork-style agent would run for the same files, in one run:
//!
//! - XLSX, 100,000 rows × 10 columns with a formula column, vs openpyxl
//!   (default and write-only mode); goal ≥ 20×.
//! - DOCX, about 500 pages from Markdown, vs python-docx; goal ≥ 10×.
//! - PPTX, 50 bullet slides with notes, vs python-pptx.
//!
//! Both sides build the same content and write it to a file; Python's
//! time is measured inside Python (interpreter start excluded, import
//! included — what an agent pays per document).

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;

const XLSX_ROWS: usize = 100_000;
/// Sections of a heading, eight paragraphs and a list (a table every
/// fifth): about 500 pages once LibreOffice lays the document out.
const DOCX_SECTIONS: usize = 525;
const PPTX_SLIDES: usize = 50;

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    ensure!(args.is_empty(), "usage: bench docs");
    let python_ok = Command::new("python3")
        .args(["-c", "import openpyxl, docx, pptx"])
        .output()
        .is_ok_and(|o| o.status.success());
    ensure!(
        python_ok,
        "python3 with openpyxl, python-docx and python-pptx is needed: \
         pip install openpyxl python-docx python-pptx"
    );
    let dir = tempfile::tempdir()?;

    let spec = xlsx_spec()?;
    let ours = time_best(3, || {
        let bytes = cowork_docs::xlsx::write(&spec)?;
        std::fs::write(dir.path().join("ours.xlsx"), bytes)?;
        Ok(())
    })?;
    let openpyxl = python_time(
        XLSX_OPENPYXL,
        &[&dir.path().join("py.xlsx").display().to_string(), "normal"],
    )?;
    let write_only = python_time(
        XLSX_OPENPYXL,
        &[
            &dir.path().join("py-wo.xlsx").display().to_string(),
            "write_only",
        ],
    )?;
    report(
        &format!("xlsx {XLSX_ROWS} rows x 10 cols"),
        ours,
        &[
            ("openpyxl", openpyxl, Some(20.0)),
            ("openpyxl write-only", write_only, None),
        ],
    );

    let markdown = docx_markdown();
    let report_spec = cowork_docs::report::ReportSpec {
        title: Some("Benchmark report".to_owned()),
        ..cowork_docs::report::ReportSpec::from_markdown(markdown.clone())
    };
    let ours = time_best(3, || {
        let bytes = cowork_docs::docx::write(&report_spec, &cowork_docs::NoAssets)?;
        std::fs::write(dir.path().join("ours.docx"), bytes)?;
        Ok(())
    })?;
    let md_path = dir.path().join("bench.md");
    std::fs::write(&md_path, &markdown)?;
    let python_docx = python_time(
        DOCX_PYTHON,
        &[
            &md_path.display().to_string(),
            &dir.path().join("py.docx").display().to_string(),
        ],
    )?;
    report(
        &format!("docx ~500 pages ({DOCX_SECTIONS} sections)"),
        ours,
        &[("python-docx", python_docx, Some(10.0))],
    );

    let deck = pptx_spec()?;
    let ours = time_best(3, || {
        let bytes = cowork_docs::pptx::write(&deck, &cowork_docs::NoAssets)?;
        std::fs::write(dir.path().join("ours.pptx"), bytes)?;
        Ok(())
    })?;
    let python_pptx = python_time(
        PPTX_PYTHON,
        &[
            &dir.path().join("py.pptx").display().to_string(),
            &PPTX_SLIDES.to_string(),
        ],
    )?;
    report(
        &format!("pptx {PPTX_SLIDES} slides"),
        ours,
        &[("python-pptx", python_pptx, None)],
    );
    Ok(())
}

fn report(what: &str, ours: Duration, peers: &[(&str, Duration, Option<f64>)]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut line = format!("{what}: cowork {:.0} ms", ms(ours));
    for (name, time, goal) in peers {
        let ratio = time.as_secs_f64() / ours.as_secs_f64();
        let _ = write!(line, "; {name} {:.0} ms = {ratio:.1}x faster", ms(*time));
        if let Some(goal) = goal {
            let _ = write!(line, " (goal >= {goal}x)");
        }
    }
    println!("{line}");
}

fn time_best(runs: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

/// Runs a Python script that prints its own elapsed seconds last.
fn python_time(script: &str, args: &[&str]) -> anyhow::Result<Duration> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .context("running python3")?;
    ensure!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let secs: f64 = text
        .lines()
        .last()
        .context("python printed nothing")?
        .trim()
        .parse()
        .context("python's timing")?;
    Ok(Duration::from_secs_f64(secs))
}

/// 10 columns: date, region, product, units, price, discount, net (a
/// formula), rep, channel, paid.
fn xlsx_spec() -> anyhow::Result<cowork_docs::xlsx::SpreadsheetSpec> {
    let regions = ["North", "South", "East", "West"];
    let rows: Vec<serde_json::Value> = (0..XLSX_ROWS)
        .map(|i| {
            let r = i + 2;
            json!([
                format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
                regions[i % 4],
                format!("Product {}", i % 97),
                (i % 50) + 1,
                ((i % 200) as f64) * 1.25 + 9.99,
                ((i % 10) as f64) / 100.0,
                format!("=D{r}*E{r}*(1-F{r})"),
                format!("Rep {}", i % 31),
                if i % 3 == 0 { "Online" } else { "Retail" },
                i % 2 == 0
            ])
        })
        .collect();
    let spec = json!({"sheets": [{
        "name": "Sales",
        "columns": [
            {"header": "Date", "type": "date"},
            {"header": "Region", "type": "text"},
            {"header": "Product", "type": "text"},
            {"header": "Units", "type": "integer"},
            {"header": "Price", "type": "currency"},
            {"header": "Discount", "type": "percent"},
            {"header": "Net", "type": "currency"},
            {"header": "Rep", "type": "text"},
            {"header": "Channel", "type": "text"},
            {"header": "Paid", "type": "boolean"}
        ],
        "rows": rows
    }]});
    cowork_docs::spec::parse(&spec).context("the benchmark spreadsheet")
}

const XLSX_OPENPYXL: &str = r###"
import sys, time, datetime
start = time.perf_counter()
import openpyxl
from openpyxl.styles import Font
path, mode = sys.argv[1], sys.argv[2]
wb = openpyxl.Workbook(write_only=(mode == "write_only"))
ws = wb.create_sheet("Sales") if mode == "write_only" else wb.active
regions = ["North", "South", "East", "West"]
ws.append(["Date", "Region", "Product", "Units", "Price", "Discount", "Net", "Rep", "Channel", "Paid"])
for i in range(100000):
    r = i + 2
    ws.append([datetime.date(2026, i % 12 + 1, i % 28 + 1), regions[i % 4], "Product %d" % (i % 97),
               i % 50 + 1, (i % 200) * 1.25 + 9.99, (i % 10) / 100.0, "=D%d*E%d*(1-F%d)" % (r, r, r),
               "Rep %d" % (i % 31), "Online" if i % 3 == 0 else "Retail", i % 2 == 0])
wb.save(path)
print(time.perf_counter() - start)
"###;

/// Nearly a page per section: a heading, eight paragraphs, a list, and
/// every fifth section a table.
fn docx_markdown() -> String {
    let paragraph = "The quarterly review covers revenue, costs and the outlook for the next \
        period. Figures are in thousands of euros unless stated otherwise, and all comparisons \
        are against the same quarter of the previous year, adjusted for currency effects.";
    let mut md = String::new();
    for page in 1..=DOCX_SECTIONS {
        let _ = writeln!(md, "## Section {page}\n");
        for _ in 0..8 {
            let _ = writeln!(md, "{paragraph} **Key point {page}.** *Note.*\n");
        }
        let _ = writeln!(
            md,
            "- First item of section {page}\n- Second item\n  - A detail\n- Third item\n"
        );
        if page % 5 == 0 {
            md.push_str("| Region | Revenue | Growth |\n|:--|--:|--:|\n");
            for r in ["North", "South", "East", "West"] {
                let _ = writeln!(md, "| {r} | 1,{page:03} | 4.{page}% |");
            }
            md.push('\n');
        }
    }
    md
}

/// python-docx building the same content from the same Markdown lines
/// (headings, paragraphs with bold and italic runs, bullets, tables).
const DOCX_PYTHON: &str = r###"
import sys, time, re
start = time.perf_counter()
import docx
src, out = sys.argv[1], sys.argv[2]
doc = docx.Document()
doc.add_heading("Benchmark report", 0)
lines = open(src, encoding="utf-8").read().split("\n")
i = 0
while i < len(lines):
    line = lines[i]
    if line.startswith("## "):
        doc.add_heading(line[3:], 2)
    elif line.startswith("|"):
        rows = []
        while i < len(lines) and lines[i].startswith("|"):
            if not lines[i].startswith("|:"):
                rows.append([c.strip() for c in lines[i].strip("|").split("|")])
            i += 1
        table = doc.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
        continue
    elif line.startswith("  - "):
        doc.add_paragraph(line[4:], style="List Bullet 2")
    elif line.startswith("- "):
        doc.add_paragraph(line[2:], style="List Bullet")
    elif line:
        p = doc.add_paragraph()
        for part in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", line):
            if part.startswith("**"):
                p.add_run(part[2:-2]).bold = True
            elif part.startswith("*"):
                p.add_run(part[1:-1]).italic = True
            elif part:
                p.add_run(part)
    i += 1
doc.save(out)
print(time.perf_counter() - start)
"###;

fn pptx_spec() -> anyhow::Result<cowork_docs::pptx::PresentationSpec> {
    let slides: Vec<serde_json::Value> = (1..=PPTX_SLIDES)
        .map(|n| {
            if n == 1 {
                json!({"layout": "title", "title": "Benchmark deck", "subtitle": "50 slides"})
            } else {
                json!({
                    "layout": "bullets",
                    "title": format!("Slide {n}: results"),
                    "bullets": [
                        format!("Revenue grew {n}% in the region"),
                        "Costs held flat",
                        {"text": "Cloud down 8%", "level": 1},
                        {"text": "Support flat", "level": 1},
                        "Churn fell to 4.1%",
                        "Hiring on plan",
                        "Next steps agreed"
                    ],
                    "notes": format!("Speaker notes for slide {n}.")
                })
            }
        })
        .collect();
    cowork_docs::spec::parse(&json!({"slides": slides})).context("the benchmark deck")
}

const PPTX_PYTHON: &str = r###"
import sys, time
start = time.perf_counter()
from pptx import Presentation
from pptx.util import Emu
out, count = sys.argv[1], int(sys.argv[2])
prs = Presentation()
prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)
s = prs.slides.add_slide(prs.slide_layouts[0])
s.shapes.title.text = "Benchmark deck"
s.placeholders[1].text = "50 slides"
for n in range(2, count + 1):
    s = prs.slides.add_slide(prs.slide_layouts[1])
    s.shapes.title.text = "Slide %d: results" % n
    body = s.placeholders[1].text_frame
    body.text = "Revenue grew %d%% in the region" % n
    for text, level in [("Costs held flat", 0), ("Cloud down 8%", 1), ("Support flat", 1),
                        ("Churn fell to 4.1%", 0), ("Hiring on plan", 0), ("Next steps agreed", 0)]:
        p = body.add_paragraph()
        p.text = text
        p.level = level
    s.notes_slide.notes_text_frame.text = "Speaker notes for slide %d." % n
prs.save(out)
print(time.perf_counter() - start)
"###;
