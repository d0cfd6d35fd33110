//! Nothing the model, a file or a tool says can drive the terminal: file
//! names and text with ESC, CR or bidi controls are printed escaped by
//! every command that shows them.

use serde_json::{Value, json};

use super::harness::*;

/// A file name that clears the screen and returns the cursor, and one
/// that reads backwards (U+202E makes "invoice<RLO>fdp.exe" show as
/// "invoiceexe.pdf").
const CLEARING: &str = "evil\x1b[2J\r.txt";
const REVERSED: &str = "invoice\u{202E}fdp.exe";

fn assert_nothing_raw(what: &str, text: &str) {
    for bad in ['\x1b', '\r', '\u{202E}', '\u{9b}'] {
        assert!(!text.contains(bad), "{what} printed {bad:?} raw:\n{text:?}");
    }
}

#[test]
fn hostile_file_names_and_model_text_are_printed_escaped_everywhere() {
    // Regression: names and model text with ESC/CR reached the terminal
    // raw in the live tool line, `cowork show`, undo and trash listings.
    let env = Env::new();
    env.write(CLEARING, "line one\x1b[8m hidden\rover\n");
    env.write(REVERSED, "not really a pdf\n");
    let script = json!({"turns": [
        {"text": "Reading \x1b]0;pwned\x07the file\r\n", "tool_calls": [{"name": "Read", "input": {"file_path": CLEARING}}]},
        {"tool_calls": [
            {"name": "Delete", "input": {"path": CLEARING}},
            {"name": "Delete", "input": {"path": REVERSED}}
        ]},
        {"text": "Done \u{9b}2J cleaning."}
    ]});
    let script_path = env.home.path().join("script.json");
    std::fs::write(&script_path, script.to_string()).unwrap();

    let out = env
        .cowork()
        .args(["run", "--mode", "auto", "--script"])
        .arg(&script_path)
        .arg("--folder")
        .arg(env.folder())
        .arg("tidy up\x1b]0;title\x07 please")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_nothing_raw("run's stdout", &stdout(&out));
    assert_nothing_raw("run's stderr", &stderr(&out));
    let live = stderr(&out);
    assert!(live.contains("Read evil\\x1B[2J\\r.txt"), "{live}");
    assert!(live.contains("Delete invoice\\u{202E}fdp.exe"), "{live}");
    assert!(
        stdout(&out).contains("Reading \\x1B]0;pwned\\x07the file"),
        "{}",
        stdout(&out)
    );
    assert!(!env.folder.path().join(CLEARING).exists());
    let live_output = format!("--- stdout\n{}--- stderr\n{live}", stdout(&out));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex_escape(&env.folder().display().to_string()),
        "[FOLDER]",
    );
    settings.add_filter(r"\d{8}T\d{6}-[0-9a-f]{8}", "[TRASH-ID]");
    settings.add_filter(r"\b[0-9a-f]{8}\b", "[ID]");
    settings.add_filter(r"\d+ ms", "[N] ms");
    settings.add_filter(r"[\d.]+ s ·", "[N] s ·");
    settings.add_filter(r"[\d.]+k? tokens", "[N] tokens");
    settings.bind(|| insta::assert_snapshot!("live_run_with_hostile_names", live_output));

    let id = env.tasks()[0]["id"].as_str().unwrap().to_owned();
    let tasks = env.cowork().arg("tasks").output().unwrap();
    assert_nothing_raw("tasks", &stdout(&tasks));
    assert!(
        stdout(&tasks).contains("tidy up\\x1B]0;title\\x07 please"),
        "{}",
        stdout(&tasks)
    );
    let shown = env.cowork().args(["show", &id]).output().unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    let shown = stdout(&shown);
    assert_nothing_raw("show", &shown);
    assert!(
        shown.contains("tidy up\\x1B]0;title\\x07 please\n"),
        "{shown}"
    );
    assert!(shown.contains("→ Read evil\\x1B[2J\\r.txt"), "{shown}");
    assert!(shown.contains("line one\\x1B[8m hidden\\rover"), "{shown}");
    assert!(shown.contains("/invoice\\u{202E}fdp.exe\n"), "{shown}");
    assert!(shown.contains("Done \\u{009B}2J cleaning."), "{shown}");

    let undo = env
        .cowork()
        .args(["undo", "--dry-run", &id])
        .output()
        .unwrap();
    assert!(undo.status.success(), "{}", stderr(&undo));
    assert_nothing_raw("undo's stdout", &stdout(&undo));
    assert!(
        stdout(&undo).contains("evil\\x1B[2J\\r.txt"),
        "{}",
        stdout(&undo)
    );

    let trash = env.cowork().args(["trash", "list"]).output().unwrap();
    assert!(trash.status.success(), "{}", stderr(&trash));
    assert_nothing_raw("trash list", &stdout(&trash));
    assert!(
        stdout(&trash).contains("invoice\\u{202E}fdp.exe"),
        "{}",
        stdout(&trash)
    );

    // JSON stays exact for programs: the name round-trips.
    let json = env
        .cowork()
        .args(["trash", "list", "--json"])
        .output()
        .unwrap();
    let originals: Vec<String> = stdout(&json)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["original"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        originals.iter().any(|o| o.ends_with(REVERSED)),
        "{originals:?}"
    );
}

#[test]
fn errors_that_name_a_hostile_path_are_printed_escaped() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["run", "--mode", "auto", "--script"])
        .arg(env.home.path().join("no\x1b[2Jscript\r.json"))
        .arg("--folder")
        .arg(env.folder())
        .arg("x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_nothing_raw("the error", &err);
    assert!(err.contains("no\\x1B[2Jscript\\r.json"), "{err}");
}
