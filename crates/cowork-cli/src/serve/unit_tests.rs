use super::*;

fn unit(exe: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    render(&Unit {
        exe: Path::new(exe),
        serve_args: &args,
        data_dir: Path::new("/home/ann/.local/share/cowork"),
        config: Path::new("/home/ann/.config/cowork/config.toml"),
        env_file: Path::new("/home/ann/.config/cowork/env"),
    })
    .unwrap()
}

#[test]
fn unit_runs_this_binary_serve_restarts_on_failure_and_starts_at_login() {
    let text = unit("/usr/local/bin/cowork", &[]);
    assert!(
        text.contains("\nExecStart=/usr/local/bin/cowork serve\n"),
        "{text}"
    );
    assert!(text.contains("\nRestart=on-failure\n"));
    assert!(text.contains("\nWantedBy=default.target\n"));
    assert!(text.contains("\nEnvironment=\"COWORK_HOME=/home/ann/.local/share/cowork\"\n"));
    assert!(
        text.contains("\nEnvironment=\"COWORK_CONFIG=/home/ann/.config/cowork/config.toml\"\n")
    );
    assert!(text.contains("\nEnvironmentFile=-/home/ann/.config/cowork/env\n"));
}

#[test]
fn unit_carries_the_flags_and_quotes_what_systemd_would_misread() {
    let text = unit("/opt/my tools/cowork", &["--port", "5000"]);
    assert!(
        text.contains("\nExecStart=\"/opt/my tools/cowork\" serve --port 5000\n"),
        "{text}"
    );
    // `%` is a specifier and `$` a variable to systemd.
    let text = unit("/opt/100%/$HOME/cowork", &[]);
    assert!(
        text.contains("\nExecStart=/opt/100%%/$$HOME/cowork serve\n"),
        "{text}"
    );
}

#[test]
fn path_with_a_line_break_is_refused_not_written() {
    // Regression guard: a newline would start a new directive in the unit.
    let error = render(&Unit {
        exe: Path::new("/tmp/x\nExecStartPre=/bin/evil"),
        serve_args: &[],
        data_dir: Path::new("/d"),
        config: Path::new("/c"),
        env_file: Path::new("/e"),
    })
    .unwrap_err();
    assert!(error.to_string().contains("line break"), "{error}");
}
