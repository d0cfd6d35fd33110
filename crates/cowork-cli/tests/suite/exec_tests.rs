//! Commands in the sandbox: the `Bash` tool and `cowork exec`.

use serde_json::json;

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

#[test]
fn what_bash_changes_in_a_folder_is_journaled_and_undone_byte_exact() {
    let env = Env::new();
    env.write("data/sales.csv", "region,amount\nnorth,10\nsouth,32\n");
    env.write("old/draft.txt", "draft\n");
    let before = manifest(env.folder.path());
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {
            "command": "wc -l notes/todo.txt && echo 'pay rent' >> notes/todo.txt && \
                        mkdir -p out && awk -F, 'NR>1{s+=$2} END{print s}' data/sales.csv > out/total.txt && \
                        rm -r old && mv readme.txt README.md && chmod +x README.md && \
                        ln -s /etc/passwd out/link && ls /root; echo done",
            "description": "summarise sales"
        }}]},
        {"text": "Total written to out/total.txt."}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "total the sales")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(result.contains("2 notes/todo.txt"), "{result}");
    assert!(
        result.contains("/root"),
        "the host's home is not there: {result}"
    );
    assert!(result.contains("journaled"), "{result}");
    assert!(result.contains("+ out/total.txt"), "{result}");
    assert!(result.contains("~ notes/todo.txt"), "{result}");
    assert!(result.contains("- old"), "{result}");
    assert!(
        result.contains("Not kept: `out/link` is a symbolic link"),
        "{result}"
    );

    let folder = env.folder.path();
    assert_eq!(
        std::fs::read_to_string(folder.join("notes/todo.txt")).unwrap(),
        "call Anna\nsend invoice\npay rent\n"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("out/total.txt")).unwrap(),
        "42\n"
    );
    assert!(!folder.join("old").exists() && !folder.join("readme.txt").exists());
    assert!(!folder.join("out/link").exists());

    let id = env.tasks()[0]["id"].as_str().unwrap().to_owned();
    let changes: Vec<_> = env
        .events(&id)
        .into_iter()
        .filter(|e| e["type"] == "file_changed")
        .collect();
    assert!(changes.len() >= 5, "{changes:#?}");

    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(manifest(folder), before, "undo restores every byte");
}

#[test]
fn bash_cannot_change_a_read_only_folder() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {
            "command": "echo oops > notes/todo.txt; cat notes/todo.txt"
        }}]},
        {"text": "ok"}
    ]})));
    let read_only = format!("{}:ro", env.folder().display());
    let out = env
        .run_anthropic_on(&server.url(), "try", read_only.as_ref())
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(result.contains("Read-only file system"), "{result}");
    assert!(result.contains("call Anna"), "{result}");
    assert_eq!(
        std::fs::read_to_string(env.folder.path().join("notes/todo.txt")).unwrap(),
        "call Anna\nsend invoice\n"
    );
}

#[test]
fn bash_asks_first_in_ask_mode_and_is_denied_without_a_terminal() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": "echo hi"}}]},
        {"text": "ok"}
    ]})));
    let out = env.run_anthropic(&server.url(), "say hi").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(
        result.contains("do not retry") && !result.contains("exit status"),
        "{result}"
    );
}

#[test]
fn exec_passes_the_exit_code_output_and_writable_folders_through() {
    let env = Env::new();
    let out = env
        .cowork()
        .arg("exec")
        .arg("--folder")
        .arg(env.folder.path())
        .args([
            "--",
            "sh",
            "-c",
            "cat readme.txt; echo made > new.txt; echo err >&2; exit 7",
        ])
        .current_dir(env.folder.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Project Alpha files.\n");
    assert!(stderr(&out).contains("err"));
    assert_eq!(
        std::fs::read_to_string(env.folder.path().join("new.txt")).unwrap(),
        "made\n"
    );
}

#[test]
fn exec_stops_a_command_at_its_timeout() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["exec", "--timeout", "1", "--", "sleep", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"));
}

#[test]
fn doctor_reports_the_sandbox_layers_it_verified() {
    let env = Env::new();
    let out = env.cowork().arg("doctor").output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("sandbox") && text.contains("verified from inside"),
        "{text}"
    );
    assert!(
        text.contains("✓ documents  XLSX, DOCX, PPTX, PDF and a chart written and read back"),
        "{text}"
    );
}

/// `cowork exec --folder <cowork's dir>:ro -- cowork ARGS…`: the inner
/// cowork runs where namespaces are forbidden (the outer sandbox's seccomp
/// filter), as in a locked-down container.
fn nested(env: &Env, inner: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("cowork");
    let dir = bin.parent().unwrap();
    let mut cmd = env.cowork();
    cmd.arg("exec")
        .arg("--folder")
        .arg(format!("{}:ro", dir.display()))
        .arg("--")
        .arg(&bin)
        .args(inner);
    cmd.output().unwrap()
}

#[test]
fn without_a_usable_sandbox_exec_refuses_and_names_the_cause_and_the_fix() {
    let env = Env::new();
    let out = nested(&env, &["exec", "--", "echo", "ran"]);
    assert_ne!(out.status.code(), Some(0));
    let text = stdout(&out) + &stderr(&out);
    assert!(!text.contains("ran\n"), "{text}");
    assert!(
        text.contains("the sandbox is unavailable, so the command was not run"),
        "{text}"
    );
    assert!(text.contains("user namespace"), "{text}");
    assert!(text.contains("--sandbox none"), "{text}");
}

#[test]
fn sandbox_none_runs_the_command_without_isolation_and_says_so() {
    let env = Env::new();
    let out = nested(&env, &["exec", "--sandbox", "none", "--", "echo", "ran"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ran\n");
    assert!(
        stderr(&out).contains("WITHOUT the sandbox"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn doctor_names_why_the_sandbox_is_unavailable() {
    let env = Env::new();
    let out = nested(&env, &["doctor"]);
    let text = stdout(&out);
    assert!(text.contains("sandbox"), "{text}");
    assert!(text.contains("user namespace"), "{text}");
    assert!(text.contains("--sandbox none"), "{text}");
}

#[test]
fn bash_with_sandbox_none_runs_on_the_host_and_the_task_is_told() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": "hostname; cat /proc/self/uid_map"}}]},
        {"text": "ok"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "where am I?")
        .args(["--mode", "auto", "--sandbox", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("WITHOUT the sandbox"),
        "{}",
        stderr(&out)
    );
    let first = server.requests()[0].body.to_string();
    assert!(
        first.contains("WITHOUT a sandbox"),
        "the model is told: {first}"
    );
    let result = server.requests()[1].body.to_string();
    assert!(!result.contains("cowork-sandbox"), "{result}");
    assert!(
        result.contains("4294967295"),
        "the host's uid map: {result}"
    );
}

#[test]
fn exec_with_allow_net_refuses_other_domains_with_a_readable_403() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["exec", "--allow-net", "example.org,*.pypi.org", "--"])
        .args([
            "sh",
            "-c",
            "curl -sS http://other.test/; curl -sS https://example.org:8443/ 2>&1",
        ])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("network access to other.test:80 is not allowed"),
        "{text}"
    );
    assert!(text.contains("Allowed: example.org, *.pypi.org"), "{text}");
    assert!(
        text.contains("CONNECT tunnel failed, response 403"),
        "{text}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("cowork: network: denied other.test:80 (not in the allowlist)"),
        "{err}"
    );
    assert!(
        err.contains("denied example.org:8443 (port not allowed)"),
        "{err}"
    );
}

#[test]
fn a_bad_allowlist_is_a_usage_error_naming_the_entry() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["exec", "--allow-net", "example.org,10.0.0.1", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`10.0.0.1` is an IP address"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bash_with_allow_net_tells_the_model_and_reports_refusals() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": "curl -sS http://evil.test/x"}}]},
        {"text": "ok"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "fetch")
        .args(["--mode", "auto", "--allow-net", "pypi.org,10.0.0.0/8"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let first = server.requests()[0].body.to_string();
    // A range is where listed names may lead, not a host to ask for.
    assert!(
        first.contains("HTTP(S) to pypi.org (these names may lead into 10.0.0.0/8;"),
        "{first}"
    );
    let result = server.requests()[1].body.to_string();
    assert!(result.contains("evil.test:80 is not allowed"), "{result}");
    assert!(
        result.contains("Network: denied evil.test:80 (not in the allowlist)"),
        "{result}"
    );
}

/// Regression (security review, defect 6): a command's `chmod 6755` on a
/// program it copied into a folder landed there setuid, because the staged
/// inode was renamed into the folder as it was. The sandbox now refuses the
/// bits outright (staged apply still strips any that get through).
#[test]
fn a_setuid_program_a_command_leaves_in_a_folder_lands_without_setuid() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {
            "command": "cp /bin/true tool; chmod 6755 tool; stat -c %a tool"
        }}]},
        {"text": "done"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "make a tool")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(result.contains("Operation not permitted"), "{result}");
    assert!(result.contains(r"--- stdout ---\n755\n"), "{result}");
    let mode = std::fs::metadata(env.folder.path().join("tool"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
}

/// Regression (security review, defect 7): nothing capped what one
/// command could leave in the folders. Over `max_stage_entries`, none of
/// its changes are applied and the model is told how to proceed.
#[test]
fn a_command_that_leaves_more_files_than_the_cap_changes_nothing() {
    let env = Env::new();
    std::fs::write(
        env.home.path().join("config.toml"),
        "[sandbox]\nmax_stage_entries = 5\n",
    )
    .unwrap();
    let before = manifest(env.folder.path());
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {
            "command": "mkdir out && for i in 1 2 3 4 5 6 7 8; do echo $i > out/$i.txt; done; \
                        echo more >> notes/todo.txt"
        }}]},
        {"text": "done"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "write many files")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(
        result.contains("none of the command's changes to the connected folders were applied"),
        "{result}"
    );
    assert!(result.contains("max_stage_entries"), "{result}");
    assert_eq!(manifest(env.folder.path()), before);
}

#[test]
fn exec_with_a_nested_read_only_grant_cannot_write_the_nested_folder() {
    // Regression: `--folder x --folder x/sub:ro` must leave x/sub read-only
    // (the most specific grant wins), whatever the order of the flags.
    let env = Env::new();
    let sub = env.folder().join("notes");
    for order in [[false, true], [true, false]] {
        let flags: Vec<String> = order
            .iter()
            .map(|nested| {
                if *nested {
                    format!("{}:ro", sub.display())
                } else {
                    env.folder().display().to_string()
                }
            })
            .collect();
        let out = env
            .cowork()
            .args(["exec", "--folder", &flags[0], "--folder", &flags[1], "--"])
            .args([
                "sh",
                "-c",
                "echo x >> notes/todo.txt; echo y > notes/new.txt; echo z > top.txt",
            ])
            .current_dir(env.folder())
            .output()
            .unwrap();
        assert!(
            stderr(&out).contains("Read-only file system"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(sub.join("todo.txt")).unwrap(),
            "call Anna\nsend invoice\n"
        );
        assert!(!sub.join("new.txt").exists());
        assert!(
            env.folder().join("top.txt").exists(),
            "x itself stays writable"
        );
        std::fs::remove_file(env.folder().join("top.txt")).unwrap();
    }
}

/// `cowork exec` whose data dir and configuration live inside the folder.
fn exec_with_state_inside(env: &Env, script: &str) -> std::process::Output {
    let data = env.folder().join(".cowork-data");
    let config = env.folder().join(".cowork-config/config.toml");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("cowork.db"), "SECRET task history").unwrap();
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "# SECRET rules\n").unwrap();
    env.cowork()
        .env("COWORK_HOME", &data)
        .env("COWORK_CONFIG", &config)
        .arg("exec")
        .arg("--folder")
        .arg(env.folder())
        .args(["--", "sh", "-c", script])
        .current_dir(env.folder())
        .output()
        .unwrap()
}

#[test]
fn exec_cannot_see_or_change_cowork_state_inside_a_granted_folder() {
    // Regression: with `--folder ~` a command could read cowork.db, the
    // journal and the trash, and rewrite config.toml.
    let env = Env::new();
    let out = exec_with_state_inside(
        &env,
        "cat readme.txt; ls -A .cowork-data; cat .cowork-data/cowork.db; \
         cat .cowork-config/config.toml; echo planted > .cowork-data/cowork.db; \
         echo planted > .cowork-data/new; echo planted > .cowork-config/config.toml; true",
    );
    let text = stdout(&out);
    assert!(text.contains("Project Alpha"), "{text}");
    assert!(
        !text.contains("SECRET") && !text.contains("cowork.db"),
        "{text}"
    );
    let data = env.folder().join(".cowork-data");
    assert_eq!(
        std::fs::read_to_string(data.join("cowork.db")).unwrap(),
        "SECRET task history"
    );
    assert!(!data.join("new").exists());
    assert_eq!(
        std::fs::read_to_string(env.folder().join(".cowork-config/config.toml")).unwrap(),
        "# SECRET rules\n"
    );
}

#[test]
fn bash_cannot_see_or_change_cowork_state_inside_a_granted_folder() {
    let env = Env::new();
    let data = env.folder().join(".cowork-data");
    std::fs::create_dir_all(&data).unwrap();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command":
            "cat readme.txt; ls -A .cowork-data; echo planted > .cowork-data/planted; true"}}]},
        {"text": "ok"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "look around")
        .env("COWORK_HOME", &data)
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(result.contains("Project Alpha"), "{result}");
    // The task's own database sits there while it runs.
    assert!(data.join("cowork.db").exists());
    assert!(!result.contains("cowork.db"), "{result}");
    assert!(!data.join("planted").exists(), "{result}");
}

#[test]
fn exec_reports_a_command_that_hits_the_file_size_limit() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["exec", "--max-file-size", "1", "--folder"])
        .arg(env.folder())
        .args(["--", "sh", "-c", "head -c 3000000 /dev/zero > big.bin"])
        .current_dir(env.folder())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("file-size limit (1 MiB per file); raise it with --max-file-size"),
        "{}",
        stderr(&out)
    );
    assert!(
        std::fs::metadata(env.folder().join("big.bin"))
            .unwrap()
            .len()
            <= 1 << 20
    );
}

#[test]
fn bash_says_when_a_command_hit_the_configured_file_size_limit() {
    let env = Env::new();
    std::fs::write(
        env.home.path().join("config.toml"),
        "[sandbox]\nmax_file_mb = 1\n",
    )
    .unwrap();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command":
            "head -c 3000000 /dev/zero > /tmp/big.bin"}}]},
        {"text": "ok"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "write a big file")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(
        result.contains("file-size limit hit: no file may grow beyond 1 MiB")
            && result.contains("max_file_mb"),
        "{result}"
    );
}

#[test]
fn ctrl_c_stops_exec_and_everything_it_started_without_an_async_runtime() {
    // exec now waits on its own thread; SIGINT must still stop the tree.
    let env = Env::new();
    for sandbox in ["auto", "none"] {
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cowork"))
            .env("COWORK_HOME", env.home.path())
            .env("COWORK_CONFIG", env.home.path().join("config.toml"))
            .args(["exec", "--sandbox", sandbox, "--", "sleep", "30"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let started = std::time::Instant::now();
        let killed = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(130), "{sandbox}: {}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    }
}
