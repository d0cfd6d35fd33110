//! Presentations: a realistic deck with every layout, opened by
//! python-pptx and LibreOffice, and read back by our reader.

use std::path::Path;

use cowork_docs::pptx::{self, PresentationSpec};
use cowork_docs::read::{self, ReadOptions};
use cowork_docs::{Assets, DocsError};

use super::consumers;

/// Serves one generated PNG (a 1200×800 gradient) as `figures/growth.png`.
struct Figures;

impl Assets for Figures {
    fn load(&self, name: &str) -> Result<Vec<u8>, DocsError> {
        if name != "figures/growth.png" {
            return Err(DocsError::Asset {
                name: name.to_owned(),
                message: "no such file".to_owned(),
            });
        }
        let img = image::RgbImage::from_fn(1200, 800, |x, y| {
            image::Rgb([(x / 5) as u8, (y / 4) as u8, 160])
        });
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        Ok(png)
    }
}

fn deck() -> PresentationSpec {
    let spec = serde_json::json!({
        "title": "Q3 Business Review",
        "author": "Finance team",
        "slides": [
            {"layout": "title", "title": "Q3 Business Review", "subtitle": "Acme Corp · October 2026",
             "notes": "Welcome everyone. This review covers results, risks and next steps."},
            {"title": "Agenda", "bullets": ["Results", "Market", "Product roadmap", "Risks and next steps"]},
            {"title": "Highlights", "bullets": [
                "Revenue up **12%** year on year",
                {"text": "Europe +20%, driven by the *new* reseller network", "level": 1},
                {"text": "North America flat", "level": 1},
                {"text": "Churn offset by upsell", "level": 2},
                "Gross margin steady at 61%",
                "Operating costs down `4%`"
             ], "notes": "Stress the European growth.\n\nMention the reseller programme."},
            {"layout": "section", "title": "Market", "subtitle": "Where we stand"},
            {"layout": "two_column", "title": "Before and after the migration",
             "left": {"heading": "Before", "bullets": ["Manual reconciliation", "3-day close"]},
             "right": {"heading": "After", "bullets": ["Automated matching", "Same-day close"]}},
            {"layout": "two_column", "title": "Strengths and gaps",
             "left": {"text": "We lead on service quality.", "bullets": ["Fast onboarding"]},
             "right": {"bullets": ["Thin presence in Asia", "Pricing pressure"]}},
            {"layout": "table", "title": "Revenue by region",
             "table": {"header": ["Region", "Q2", "Q3", "Change"],
                       "rows": [["Europe", "4,100", "4,920", "+20.0%"], ["North America", "6,300", "6,310", "+0.2%"],
                                ["Asia-Pacific", "1,150", "1,240", "+7.8%"], ["Total", "11,550", "12,470", "+8.0%"]]},
             "notes": "Figures in thousands of euros."},
            {"layout": "chart", "title": "Quarterly revenue", "caption": "Thousands of euros",
             "chart": {"kind": "column", "title": "Revenue by quarter", "categories": ["Q1", "Q2", "Q3"],
                       "series": [{"name": "2025", "values": [10.2, 10.9, 11.1]}, {"name": "2026", "values": [11.0, 11.55, 12.47]}],
                       "y_label": "EUR k"}},
            {"layout": "image", "title": "Growth map", "image": "figures/growth.png", "caption": "Growth by region, Q3"},
            {"title": "Next steps", "bullets": ["Hire two account managers in Asia", "Launch the partner portal", "Review pricing in Q4"],
             "notes": "Ask for questions."}
        ]
    });
    cowork_docs::spec::parse(&spec).unwrap()
}

const PYTHON_READ: &str = r#"
import json, sys
from pptx import Presentation
p = Presentation(sys.argv[1])
out = {"width": p.slide_width, "height": p.slide_height, "slides": []}
for s in p.slides:
    title = s.shapes.title
    d = {"layout": s.slide_layout.name, "title": title.text if title is not None else None,
         "paras": [], "tables": [], "pictures": 0, "notes": None}
    for sh in s.shapes:
        if sh.is_placeholder and sh.placeholder_format.type is not None and "SLIDE_NUMBER" in str(sh.placeholder_format.type):
            continue
        if title is not None and sh.shape_id == title.shape_id:
            continue
        if sh.has_text_frame:
            for para in sh.text_frame.paragraphs:
                if para.text:
                    d["paras"].append([para.level, para.text])
        if getattr(sh, "has_table", False) and sh.has_table:
            d["tables"].append([[c.text for c in r.cells] for r in sh.table.rows])
        if sh.shape_type == 13:
            d["pictures"] += 1
    if s.has_notes_slide:
        d["notes"] = s.notes_slide.notes_text_frame.text
    out["slides"].append(d)
print(json.dumps(out))
"#;

fn write_deck(dir: &Path) -> std::path::PathBuf {
    let bytes = pptx::write(&deck(), &Figures).unwrap();
    let path = dir.join("review.pptx");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn python_pptx_reads_every_layout_back() {
    if !consumers::python_has(&["pptx"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_deck(dir.path());
    let out: serde_json::Value =
        serde_json::from_str(&consumers::python(PYTHON_READ, &[&path])).unwrap();
    assert_eq!(out["width"], 12_192_000);
    assert_eq!(out["height"], 6_858_000);
    let slides = out["slides"].as_array().unwrap();
    assert_eq!(slides.len(), 10);
    let titles: Vec<&str> = slides
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Q3 Business Review",
            "Agenda",
            "Highlights",
            "Market",
            "Before and after the migration",
            "Strengths and gaps",
            "Revenue by region",
            "Quarterly revenue",
            "Growth map",
            "Next steps"
        ]
    );
    let layouts: Vec<&str> = slides
        .iter()
        .map(|s| s["layout"].as_str().unwrap())
        .collect();
    assert_eq!(layouts[0], "Title Slide");
    assert_eq!(layouts[2], "Title and Content");
    assert_eq!(layouts[3], "Section Header");
    assert_eq!(layouts[4], "Comparison");
    assert_eq!(layouts[5], "Two Content");
    assert_eq!(layouts[6], "Title Only");

    assert_eq!(
        slides[0]["paras"],
        serde_json::json!([[0, "Acme Corp · October 2026"]])
    );
    assert_eq!(
        slides[2]["paras"],
        serde_json::json!([
            [0, "Revenue up 12% year on year"],
            [1, "Europe +20%, driven by the new reseller network"],
            [1, "North America flat"],
            [2, "Churn offset by upsell"],
            [0, "Gross margin steady at 61%"],
            [0, "Operating costs down 4%"]
        ])
    );
    assert_eq!(
        slides[2]["notes"],
        "Stress the European growth.\nMention the reseller programme."
    );
    assert_eq!(
        slides[4]["paras"],
        serde_json::json!([
            [0, "Before"],
            [0, "Manual reconciliation"],
            [0, "3-day close"],
            [0, "After"],
            [0, "Automated matching"],
            [0, "Same-day close"]
        ])
    );
    let table = &slides[6]["tables"][0];
    assert_eq!(
        table[0],
        serde_json::json!(["Region", "Q2", "Q3", "Change"])
    );
    assert_eq!(
        table[4],
        serde_json::json!(["Total", "11,550", "12,470", "+8.0%"])
    );
    assert_eq!(slides[6]["notes"], "Figures in thousands of euros.");
    assert_eq!(slides[7]["pictures"], 1);
    assert_eq!(
        slides[7]["paras"],
        serde_json::json!([[0, "Thousands of euros"]])
    );
    assert_eq!(slides[8]["pictures"], 1);
    assert_eq!(slides[1]["notes"], serde_json::Value::Null);
    assert_eq!(slides[9]["notes"], "Ask for questions.");
}

#[test]
fn libreoffice_converts_the_deck_to_pdf_without_complaint() {
    if !consumers::available("soffice") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_deck(dir.path());
    let pdf = consumers::soffice_convert(&path, "pdf", dir.path());
    let text = read::read(
        "review.pdf",
        &std::fs::read(&pdf).unwrap(),
        &ReadOptions::default(),
    );
    if let Ok(text) = text {
        assert!(text.contains("## Page 10"), "{text}");
        assert!(text.contains("Revenue by region"), "{text}");
    }
    if consumers::available("pdftoppm") {
        let status = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "30", "-f", "1", "-l", "3"])
            .arg(&pdf)
            .arg(dir.path().join("slide"))
            .status()
            .unwrap();
        assert!(status.success());
        let pngs = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "png")
            })
            .count();
        assert_eq!(pngs, 3);
    }
}

#[test]
fn our_reader_reads_the_deck_slide_by_slide() {
    let bytes = pptx::write(&deck(), &Figures).unwrap();
    let text = read::read("review.pptx", &bytes, &ReadOptions::default()).unwrap();
    for expected in [
        "## Slide 1: Q3 Business Review\n\nAcme Corp · October 2026\n\nNotes: Welcome everyone.",
        "## Slide 3: Highlights\n\n- Revenue up 12% year on year\n  - Europe +20%, driven by the new reseller network\n  - North America flat\n    - Churn offset by upsell\n- Gross margin steady at 61%",
        "Notes: Stress the European growth.\nMention the reseller programme.",
        "## Slide 5: Before and after the migration\n\nBefore\n\n- Manual reconciliation\n- 3-day close\n\nAfter\n\n- Automated matching",
        "| Region | Q2 | Q3 | Change |\n| --- | --- | --- | --- |\n| Europe | 4,100 | 4,920 | +20.0% |",
        "[Picture: Revenue by quarter]\n\nThousands of euros",
        "## Slide 10: Next steps",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn the_reader_stops_at_the_character_cap_with_a_note() {
    let bytes = pptx::write(&deck(), &Figures).unwrap();
    let options = ReadOptions {
        max_chars: 300,
        ..ReadOptions::default()
    };
    let text = read::read("review.pptx", &bytes, &options).unwrap();
    assert!(text.contains("[Stopped at 300 characters"), "{text}");
    assert!(text.contains("are not shown"), "{text}");
}

/// Regression guard for the reader: truncated and bit-flipped copies of a
/// real deck give errors or text, never a panic.
#[test]
fn damaged_decks_never_panic_the_reader() {
    let bytes = pptx::write(&deck(), &Figures).unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for cut in [
        0,
        1,
        4,
        30,
        100,
        bytes.len() / 2,
        bytes.len() - 22,
        bytes.len() - 1,
    ] {
        let _ = read::read("x.pptx", &bytes[..cut], &ReadOptions::default());
    }
    for _ in 0..200 {
        let mut copy = bytes.clone();
        for _ in 0..8 {
            let at = (next() % copy.len() as u64) as usize;
            copy[at] ^= (next() % 255 + 1) as u8;
        }
        let _ = read::read("x.pptx", &copy, &ReadOptions::default());
    }
}

#[test]
fn a_deck_from_markdown_opens_in_python_pptx() {
    let text = "# Launch plan\nSpring 2027\n\n---\n\n## Goals\n\n- Ship v2\n  - Beta in March\n- Grow usage\n\nNotes: Keep it short.\n\n---\n\n## Budget\n\n| Item | Cost |\n|---|---|\n| Ads | 40,000 |\n";
    let spec = pptx::spec_from_markdown(text).unwrap();
    let bytes = pptx::write(&spec, &cowork_docs::NoAssets).unwrap();
    let read_back = read::read("plan.pptx", &bytes, &ReadOptions::default()).unwrap();
    assert!(read_back.contains("## Slide 2: Goals\n\n- Ship v2\n  - Beta in March\n- Grow usage\n\nNotes: Keep it short."), "{read_back}");
    if !consumers::python_has(&["pptx"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.pptx");
    std::fs::write(&path, bytes).unwrap();
    let out: serde_json::Value =
        serde_json::from_str(&consumers::python(PYTHON_READ, &[&path])).unwrap();
    assert_eq!(out["slides"].as_array().unwrap().len(), 3);
    assert_eq!(
        out["slides"][2]["tables"][0][1],
        serde_json::json!(["Ads", "40,000"])
    );
}
