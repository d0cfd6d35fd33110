//! `cowork export`, end to end: a real task through `cowork run` with the
//! script provider (a text file, a spreadsheet, an approval, a connector
//! secret and a key in the environment), exported in every format, read
//! back, opened in headless Chromium, and searched for every secret.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::harness::*;

/// The model key the task runs with: not of a well-known shape, so only
/// knowing the environment can redact it.
const ENV_KEY: &str = "plain-env-key-Q7W8E9R0T1Y2";
/// A key of Anthropic's shape, which the model echoes into a file.
const SHAPED_KEY: &str = "sk-ant-api03-EXPORTTESTKEY0123456789abcdef";
/// A connector header's value in the person's `mcp.json`.
const HEADER_SECRET: &str = "hdr-secret-Z9X8C7V6B5N4";
/// A connector variable, expanded from the environment into a header.
const VAR_SECRET: &str = "var-secret-M1N2B3V4C5X6";
/// An OAuth token in the data dir.
const TOKEN_SECRET: &str = "oauth-access-P0O9I8U7Y6T5";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/docs")
}

/// The person's connectors and a stored login, as `cowork mcp add` and
/// `cowork mcp login` would leave them.
fn configure_secrets(env: &Env) {
    std::fs::write(
        env.home.path().join("mcp.json"),
        serde_json::to_string_pretty(&json!({"mcpServers": {
            "crm": {
                "type": "http",
                "url": "http://127.0.0.1:9/mcp",
                "headers": {
                    "X-Api-Key": HEADER_SECRET,
                    "Authorization": "Bearer ${CRM_CONNECTOR_VALUE}"
                }
            }
        }}))
        .unwrap(),
    )
    .unwrap();
    let tokens = env.home.path().join("mcp/tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::write(
        tokens.join("notion.json"),
        json!({"access_token": TOKEN_SECRET, "issuer": "https://auth.example"}).to_string(),
    )
    .unwrap();
}

/// Runs a task that writes a text file and a spreadsheet and reads a file
/// holding secrets; returns the task's id. The first write asks, and the
/// person answers at a terminal "for the rest of this task".
fn run_task(env: &Env) -> String {
    let (script, prompt) = prepare_task(env);
    let command = format!(
        "{} run --provider script --script '{}' --folder '{}' '{prompt}'",
        assert_cmd::cargo::cargo_bin("cowork").display(),
        script.display(),
        env.folder.path().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COWORK_HOME", env.home.path())
        .env("COWORK_CONFIG", env.home.path().join("config.toml"))
        .env("COWORK_POLICY_FILE", env.home.path().join("policy.toml"))
        .env("ANTHROPIC_API_KEY", ENV_KEY)
        .env("CRM_CONNECTOR_VALUE", VAR_SECRET)
        .env_remove("OPENAI_API_KEY")
        .env("TERM", "dumb")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Held open until cowork exits: an end of input would answer "no".
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reader = {
        let shown = std::sync::Arc::clone(&shown);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut stdout, &mut buf) {
                shown.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let text = || String::from_utf8_lossy(&shown.lock().unwrap()).into_owned();
    // Each question is answered once it is shown: lines typed before a
    // question are not taken as its answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut answered = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cowork did not finish: {}",
            text()
        );
        if text().matches("deny").count() > answered {
            std::io::Write::write_all(&mut stdin, b"a\n").unwrap();
            answered += 1;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(answered >= 1, "nobody was asked: {}", text());
    drop(stdin);
    reader.join().unwrap();
    assert!(status.success(), "{}", text());
    env.tasks()[0]["id"].as_str().unwrap().to_owned()
}

/// The same task run with `--yes`: nobody is asked.
fn run_task_assuming_yes(env: &Env) -> String {
    let (script, prompt) = prepare_task(env);
    let out = env
        .cowork()
        .env("ANTHROPIC_API_KEY", ENV_KEY)
        .env("CRM_CONNECTOR_VALUE", VAR_SECRET)
        .args(["run", "--yes", "--provider", "script", "--script"])
        .arg(&script)
        .arg("--folder")
        .arg(env.folder.path())
        .arg(prompt)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    env.tasks()[0]["id"].as_str().unwrap().to_owned()
}

/// The connectors, the notes and the script; returns the script and the
/// prompt.
fn prepare_task(env: &Env) -> (PathBuf, &'static str) {
    configure_secrets(env);
    env.write(
        "notes/leak.txt",
        &format!(
            "header {HEADER_SECRET}\nvar {VAR_SECRET}\ntoken {TOKEN_SECRET}\nenv {ENV_KEY}\n\
             github ghp_0123456789abcdefABCDEF0123456789ab\n"
        ),
    );
    let mut sheet: Value = serde_json::from_str(
        &std::fs::read_to_string(examples().join("expense-report.json")).unwrap(),
    )
    .unwrap();
    sheet["path"] = "out/expenses.xlsx".into();
    let script = write_script(
        env.home.path(),
        &json!({"turns": [
            {"text": "I will read the notes first.",
             "tool_calls": [{"name": "Read", "input": {"file_path": "notes/leak.txt"}}]},
            {"tool_calls": [{"name": "Write", "input": {
                "file_path": "out/summary.md",
                "content": format!("# Summary\n\nBudget <b>approved</b>.\nKey: {SHAPED_KEY}\n")
            }}]},
            {"tool_calls": [{"name": "CreateSpreadsheet", "input": sheet}]},
            {"text": format!("Done: the summary and the expense sheet are written. ({ENV_KEY})")}
        ]}),
    );
    (script, "Summarise the notes and make the expense sheet")
}

/// `cowork export` with the environment the person's shell would have.
fn export(env: &Env, id: &str, args: &[&str]) -> std::process::Output {
    env.cowork()
        .env("ANTHROPIC_API_KEY", ENV_KEY)
        .env("CRM_CONNECTOR_VALUE", VAR_SECRET)
        .args(["export", id])
        .args(args)
        .output()
        .unwrap()
}

fn assert_no_secret(name: &str, text: &str) {
    for secret in [
        ENV_KEY,
        SHAPED_KEY,
        HEADER_SECRET,
        VAR_SECRET,
        TOKEN_SECRET,
        "ghp_0123456789abcdefABCDEF0123456789ab",
    ] {
        assert!(!text.contains(secret), "{name} holds the secret {secret}");
    }
}

#[test]
fn an_exported_task_shows_its_steps_approvals_and_files_in_every_format() {
    let env = Env::new();
    let id = run_task(&env);
    let dir = tempfile::tempdir().unwrap();

    let html_path = dir.path().join("task.html");
    let out = export(&env, &id[..8], &["-o", html_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(html,"), "{}", stdout(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains(export_csp()), "the CSP is in the page");
    assert!(html.contains("Summarise the notes and make the expense sheet"));
    assert!(html.contains("I will read the notes first."));
    assert!(html.contains("Approval asked"), "approvals are shown");
    assert!(
        html.contains("allowed for the rest of the task</b> — by the person, at the terminal"),
        "how and by whom the approval was answered"
    );
    assert!(html.contains("CreateSpreadsheet"));
    // The text file's content, escaped, and the spreadsheet read back as
    // a table with its original embedded for download.
    assert!(
        html.contains("Budget &lt;b&gt;approved&lt;/b&gt;."),
        "text escaped"
    );
    assert!(!html.contains("<b>approved</b>"));
    assert!(
        html.contains("<table>"),
        "the sheet is previewed as a table"
    );
    assert!(html.contains(
        "href=\"data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,"
    ));
    assert!(html.contains("completed"));
    assert_no_secret("the HTML export", &html);
    assert_offline(&html);

    let md = dir.path().join("task.md");
    let out = export(&env, &id, &["-o", md.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.starts_with("# cowork task"), "{md}");
    assert!(md.contains("### Tool call: Write"), "{md}");
    assert!(
        md.contains("Budget <b>approved</b>."),
        "small text files inline"
    );
    assert!(md.contains("expenses.xlsx"));
    assert_no_secret("the Markdown export", &md);

    let out = export(&env, &id, &["-o", "-", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json_text = stdout(&out);
    assert_no_secret("the JSON export", &json_text);
    let json: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["task"]["id"], id.as_str());
    assert_eq!(json["task"]["status"], "completed");
    let steps = json["steps"].as_array().unwrap();
    let write = steps
        .iter()
        .find(|s| s["kind"] == "tool_call" && s["tool"] == "Write")
        .unwrap();
    assert_eq!(write["approval"]["decision"], "allowed_for_task");
    assert_eq!(write["approval"]["by"], "terminal");
    assert!(write["approval"]["summary"].is_string());
    assert!(
        write["input"]["content"]
            .as_str()
            .unwrap()
            .contains("[redacted]")
    );
    let files = json["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["summary.md", "expenses.xlsx"]);
    assert!(files.iter().all(|f| f["source"] == "as_left"), "{files:?}");
    assert_eq!(files[1]["preview_kind"], "markdown");
    assert!(files[1]["original_base64"].is_string());
    assert_eq!(files[1]["sha256"].as_str().unwrap().len(), 64);
}

fn export_csp() -> &'static str {
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
}

/// No attribute of the page names anything on the network.
fn assert_offline(html: &str) {
    for attr in ["src=\"", "href=\"", "action=\"", "srcset=\""] {
        for (at, _) in html.match_indices(attr) {
            let value = &html[at + attr.len()..];
            let lower = value[..value.len().min(12)].to_ascii_lowercase();
            assert!(
                !lower.starts_with("http:")
                    && !lower.starts_with("https:")
                    && !lower.starts_with("//"),
                "a {attr} URL leaves the page: {}",
                &value[..value.len().min(80)]
            );
        }
    }
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("<link"), "no external stylesheet");
}

#[test]
fn a_file_changed_after_the_task_is_said_so_and_shown_as_the_task_left_it() {
    let env = Env::new();
    let id = run_task_assuming_yes(&env);
    // A later edit, then a later deletion.
    env.write("out/summary.md", "rewritten by hand\n");
    std::fs::remove_file(env.folder.path().join("out/expenses.xlsx")).unwrap();
    let out = export(&env, &id, &["-o", "-", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files[0]["source"], "changed_since", "{:?}", files[0]);
    assert!(
        files[0]["note"]
            .as_str()
            .unwrap()
            .contains("Changed after the task")
    );
    assert_eq!(files[1]["source"], "gone", "{:?}", files[1]);
    assert!(
        files[1]["note"]
            .as_str()
            .unwrap()
            .contains("Deleted or moved")
    );
    // Nobody was asked: the approval says how it was decided instead.
    let write = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "tool_call" && s["tool"] == "Write")
        .unwrap();
    assert_eq!(write["approval"]["summary"], Value::Null);
    assert_eq!(write["approval"]["by"], "assume_yes");
    assert_no_secret("the JSON export", &stdout(&out));
}

#[test]
fn a_task_whose_folder_was_removed_still_exports_and_says_its_files_are_gone() {
    let env = Env::new();
    let id = run_task_assuming_yes(&env);
    std::fs::remove_dir_all(env.folder.path()).unwrap();
    let out = export(&env, &id, &["-o", "-", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f["source"] == "gone"), "{files:?}");
}

#[test]
fn export_refuses_to_overwrite_without_force_and_names_the_fix() {
    let env = Env::new();
    let id = run_task_assuming_yes(&env);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("task.html");
    std::fs::write(&path, "keep me").unwrap();
    let out = export(&env, &id, &["-o", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");

    let out = export(&env, &id, &["-o", path.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary file is left: {leftovers:?}"
    );
}

#[test]
fn export_names_the_problem_for_bad_tasks_and_bad_outputs() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("x.html");
    let out = env
        .cowork()
        .args(["export", "deadbeef", "-o"])
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no task matches `deadbeef`"),
        "{}",
        stderr(&out)
    );
    assert!(!out_file.exists());

    let id = run_task_assuming_yes(&env);
    let out = export(&env, &id, &["-o", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is a folder"), "{}", stderr(&out));
    let missing = dir.path().join("no/such/dir/x.html");
    let out = export(&env, &id, &["-o", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn an_export_into_a_connected_folder_is_written_whole() {
    let env = Env::new();
    let id = run_task_assuming_yes(&env);
    let path = env.folder.path().join("task-export.md");
    let out = export(&env, &id, &["-o", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("Exported by cowork"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_export_opens_offline_in_chromium_and_shows_steps_and_files() {
    use cowork_test_support::browser::Browser;

    let env = Env::new();
    let id = run_task(&env);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("task.html");
    let out = export(&env, &id, &["-o", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    browser
        .goto(&format!("file://{}", path.display()))
        .await
        .unwrap();
    let body = browser.find("body").await.unwrap().text().await.unwrap();
    for wanted in [
        "Summarise the notes and make the expense sheet",
        "I will read the notes first.",
        "Approval asked",
        "CreateSpreadsheet",
        "summary.md",
        "expenses.xlsx",
        "Budget <b>approved</b>.",
        "Download expenses.xlsx",
    ] {
        assert!(body.contains(wanted), "the page shows {wanted:?}:\n{body}");
    }
    let steps = browser.find_all("#steps > ol > li").await.unwrap();
    assert!(steps.len() >= 6, "{} steps shown", steps.len());
    let table = browser.find("#files table").await.unwrap();
    assert!(table.is_displayed().await.unwrap());
    // Nothing was fetched: the only resource entry would be a request.
    let fetched = browser
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(fetched, json!([]), "the page fetched nothing");
    browser.close().await;
}

#[test]
fn an_enabled_plugins_connector_secrets_never_reach_an_export() {
    const PLUGIN_VAR: &str = "plugin-var-R4T5Y6U7I8O9";
    const PLUGIN_LITERAL: &str = "plugin-literal-K4J5H6G7F8";
    let env = Env::new();
    let market = tempfile::tempdir().unwrap();
    let put = |rel: &str, content: &str| {
        let path = market.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    put(
        ".claude-plugin/marketplace.json",
        r#"{"name": "local", "owner": {"name": "Tests"},
            "plugins": [{"name": "vault", "source": "./vault", "description": "A vault"}]}"#,
    );
    put(
        "vault/.claude-plugin/plugin.json",
        r#"{"name": "vault", "version": "1.0.0", "description": "A vault"}"#,
    );
    put(
        "vault/.mcp.json",
        &json!({"mcpServers": {"vault": {
            "type": "http",
            "url": "http://127.0.0.1:9/mcp",
            // Named like no credential: only the expansion tells.
            "headers": {"X-Vault": "${VAULT_PLUGIN_VALUE}", "X-Static": PLUGIN_LITERAL}
        }}})
        .to_string(),
    );
    for args in [
        vec![
            "plugin",
            "marketplace",
            "add",
            market.path().to_str().unwrap(),
        ],
        vec!["plugin", "install", "vault@local", "--yes"],
    ] {
        let out = env.cowork().args(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    env.write(
        "notes/vault.txt",
        &format!("var {PLUGIN_VAR}\nliteral {PLUGIN_LITERAL}\n"),
    );
    let script = write_script(
        env.home.path(),
        &json!({"turns": [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "notes/vault.txt"}}]},
            {"text": format!("The vault says {PLUGIN_VAR}.")}
        ]}),
    );
    let out = env
        .cowork()
        .env("VAULT_PLUGIN_VALUE", PLUGIN_VAR)
        .args(["run", "--yes", "--provider", "script", "--script"])
        .arg(&script)
        .arg("--folder")
        .arg(env.folder.path())
        .arg("read the vault notes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for format in ["html", "md", "json"] {
        let out = env
            .cowork()
            .env("VAULT_PLUGIN_VALUE", PLUGIN_VAR)
            .args(["export", "last", "-o", "-", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        // Markdown escapes the brackets of text it quotes.
        assert!(
            text.contains("The vault says [redacted].")
                || text.contains("The vault says \\[redacted\\]."),
            "{format}: {text}"
        );
        assert!(
            !text.contains(PLUGIN_VAR),
            "{format} holds the plugin's variable"
        );
        assert!(
            !text.contains(PLUGIN_LITERAL),
            "{format} holds the plugin's header"
        );
    }
}
