//! `cowork docs`: every sample spec in `examples/docs/` renders through the
//! real CLI, opens in LibreOffice without repair, and reads back.

use std::path::{Path, PathBuf};

use cowork_test_support::consumers;

use super::harness::*;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/docs")
}

/// Renders `input` to `out` with `cowork docs render`, asserting success.
fn render(env: &Env, input: &Path, out: &Path, extra: &[&str]) {
    let result = env
        .cowork()
        .args(["docs", "render"])
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "render {} → {}: {}",
        input.display(),
        out.display(),
        stderr(&result)
    );
    assert!(
        std::fs::metadata(out).unwrap().len() > 200,
        "{}",
        out.display()
    );
}

fn read_back(env: &Env, file: &Path) -> String {
    let result = env
        .cowork()
        .args(["docs", "read"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "read {}: {}",
        file.display(),
        stderr(&result)
    );
    stdout(&result)
}

/// Every `examples/docs/*.json` and chart, rendered and opened.
#[test]
fn every_sample_spec_renders_opens_in_libreoffice_and_reads_back() {
    let env = Env::new();
    let out = tempfile::tempdir().unwrap();
    let mut rendered = Vec::new();
    for (spec, ext) in [
        ("expense-report.json", "xlsx"),
        ("expense-report.json", "csv"),
        ("board-memo.json", "docx"),
        ("board-memo.json", "pdf"),
        ("deck.json", "pptx"),
        ("pdf-report.json", "pdf"),
    ] {
        let target = out
            .path()
            .join(format!("{}.{ext}", spec.trim_end_matches(".json")));
        render(&env, &examples().join(spec), &target, &[]);
        rendered.push(target);
    }
    for kind in ["bar", "column", "line", "area", "pie", "scatter"] {
        for ext in ["png", "svg"] {
            let target = out.path().join(format!("{kind}.{ext}"));
            render(
                &env,
                &examples().join(format!("charts/{kind}.json")),
                &target,
                &[],
            );
        }
    }

    let memo = read_back(&env, &out.path().join("board-memo.docx"));
    assert!(memo.contains("Decisions requested"), "{memo}");
    let deck = read_back(&env, &out.path().join("deck.pptx"));
    assert!(deck.contains("Slide 10"), "{deck}");
    let sheet = read_back(&env, &out.path().join("expense-report.xlsx"));
    assert!(sheet.contains("Sheet"), "{sheet}");
    let report = read_back(&env, &out.path().join("pdf-report.pdf"));
    assert!(report.contains("Service levels"), "{report}");

    let dir = out.path();
    if consumers::python_has(&["openpyxl"]) {
        let text = consumers::python(
            "import sys, openpyxl\n\
             wb = openpyxl.load_workbook(sys.argv[1])\n\
             print(wb.sheetnames, wb['Expenses']['F2'].value, wb['Expenses']['A1'].font.b)",
            &[&dir.join("expense-report.xlsx")],
        );
        assert_eq!(
            text.trim(),
            "['Expenses', 'Summary'] =D2*1.19 True",
            "{text}"
        );
    }
    if consumers::python_has(&["docx"]) {
        let text = consumers::python(
            "import sys, docx\n\
             d = docx.Document(sys.argv[1])\n\
             print([p.text for p in d.paragraphs if p.style.name == 'Heading 1'])",
            &[&dir.join("board-memo.docx")],
        );
        assert!(
            text.contains("'Summary'") && text.contains("Appendix: Risk register"),
            "{text}"
        );
    }
    if consumers::python_has(&["pptx"]) {
        let text = consumers::python(
            "import sys, pptx\n\
             p = pptx.Presentation(sys.argv[1])\n\
             print(len(p.slides), p.slides[1].shapes.title.text, \
                   p.slides[0].notes_slide.notes_text_frame.text[:7])",
            &[&dir.join("deck.pptx")],
        );
        assert_eq!(text.trim(), "10 FY2026 in one slide Welcome", "{text}");
    }
    if consumers::available("soffice") {
        let converted = out.path().join("converted");
        std::fs::create_dir_all(&converted).unwrap();
        for file in rendered.iter().filter(|f| {
            matches!(
                f.extension().and_then(|e| e.to_str()),
                Some("xlsx" | "docx" | "pptx")
            )
        }) {
            consumers::soffice_convert(file, "pdf", &converted);
        }
    }
}

#[test]
fn markdown_notes_render_to_word_pdf_and_slides() {
    let env = Env::new();
    let out = tempfile::tempdir().unwrap();
    let notes = examples().join("notes.md");
    for ext in ["docx", "pdf", "pptx"] {
        let target = out.path().join(format!("notes.{ext}"));
        render(&env, &notes, &target, &["--toc"]);
        let text = read_back(&env, &target);
        assert!(text.contains("What went well"), "{ext}: {text}");
    }
}

#[test]
fn an_invalid_spec_names_the_field_and_writes_nothing() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.json");
    std::fs::write(&spec, r#"{"kind": "donut", "series": []}"#).unwrap();
    let target = dir.path().join("chart.png");
    let result = env
        .cowork()
        .args(["docs", "render"])
        .arg(&spec)
        .arg("-o")
        .arg(&target)
        .output()
        .unwrap();
    assert!(!result.status.success());
    let err = stderr(&result);
    assert!(err.contains("kind") && err.contains("donut"), "{err}");
    assert!(!target.exists());
}

#[test]
fn reading_a_corrupt_document_is_a_clear_error() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.docx");
    std::fs::write(&file, b"PK\x03\x04 this is not really a zip").unwrap();
    let result = env
        .cowork()
        .args(["docs", "read"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(stderr(&result).contains("DOCX"), "{}", stderr(&result));
}

#[test]
fn a_task_creates_documents_in_the_folder_reads_them_and_undo_removes_them() {
    let env = Env::new();
    let before = manifest(env.folder.path());
    let sheet: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(examples().join("expense-report.json")).unwrap(),
    )
    .unwrap();
    let mut sheet_call = sheet.clone();
    sheet_call["path"] = "out/expenses.xlsx".into();
    let memo = serde_json::json!({
        "path": "out/memo.docx",
        "title": "Memo",
        "markdown": "# Memo\n\nSee ![the notes](notes/chart.png).\n\n- one\n- two\n",
    });
    let chart: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(examples().join("charts/pie.json")).unwrap())
            .unwrap();
    let mut chart_call = chart.clone();
    chart_call["path"] = "notes/chart.png".into();
    let server = cowork_test_support::MockModelServer::start(cowork_test_support::script(
        serde_json::json!({"turns": [
            {"tool_calls": [{"name": "CreateChart", "input": chart_call}]},
            {"tool_calls": [{"name": "CreateSpreadsheet", "input": sheet_call}]},
            {"tool_calls": [{"name": "CreateDocument", "input": memo}]},
            {"tool_calls": [{"name": "Read", "input": {"file_path": "out/memo.docx"}}]},
            {"tool_calls": [{"name": "ReadDocument", "input": {"file_path": "out/expenses.xlsx", "max_rows": 3}}]},
            {"tool_calls": [{"name": "CreatePdf", "input": {"path": "out/x.txt", "markdown": "x"}}]},
            {"text": "Done."}
        ]}),
    ));
    let out = env
        .run_anthropic(&server.url(), "make the documents")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    let result = |turn: usize| requests[turn].body.to_string();
    assert!(
        result(1).contains("Created `notes/chart.png`"),
        "{}",
        result(1)
    );
    assert!(
        result(2).contains("Created `out/expenses.xlsx`"),
        "{}",
        result(2)
    );
    assert!(
        result(3).contains("Created `out/memo.docx`"),
        "{}",
        result(3)
    );
    assert!(
        result(4).contains("one") && result(4).contains("Memo"),
        "{}",
        result(4)
    );
    assert!(result(5).contains("Sheet: Expenses"), "{}", result(5));
    assert!(
        result(5).contains("more rows"),
        "the row cap applies: {}",
        result(5)
    );
    assert!(result(6).contains("must end in .pdf"), "{}", result(6));
    let first = requests[0].body.to_string();
    for tool in [
        "CreateSpreadsheet",
        "CreateDocument",
        "CreatePresentation",
        "CreatePdf",
        "CreateChart",
        "ReadDocument",
    ] {
        assert!(first.contains(tool), "{tool} offered to the model");
    }

    let folder = env.folder.path();
    assert!(folder.join("out/expenses.xlsx").is_file());
    assert!(folder.join("out/memo.docx").is_file());
    let undo = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(undo.status.success(), "{}", stderr(&undo));
    assert_eq!(
        manifest(folder),
        before,
        "undo removes what the task created"
    );
}
