//! `cowork-mock-server SCRIPT.json [--port N]`: serves a script over the
//! Anthropic and OpenAI streaming APIs on 127.0.0.1 until killed, for demos
//! and bug reports. Logs each request it answers on stderr.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: its address goes to stdout, its log and errors to stderr"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cowork_protocol::script::Script;
use cowork_test_support::MockModelServer;

const USAGE: &str = "usage: cowork-mock-server SCRIPT.json [--port N]";

fn main() -> ExitCode {
    let (script_path, port) = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            println!(
                "Serves SCRIPT.json on 127.0.0.1: Anthropic at http://127.0.0.1:PORT, OpenAI at http://127.0.0.1:PORT/v1."
            );
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("cowork-mock-server: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let script = match load_script(&script_path) {
        Ok(script) => script,
        Err(message) => {
            eprintln!("cowork-mock-server: {message}");
            return ExitCode::FAILURE;
        }
    };
    let turns = script.turns.len();
    let server = match MockModelServer::try_start(script, port) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("cowork-mock-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", server.url());
    // Whoever spawned us reads that line to learn the port: do not let it
    // sit in a buffer.
    let _ = std::io::stdout().flush();
    eprintln!(
        "serving {turns} turns from {}; OpenAI base URL {}",
        script_path.display(),
        server.openai_url()
    );

    let mut logged = 0;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let requests = server.requests();
        for request in requests.iter().skip(logged) {
            let turn = request
                .turn
                .map_or_else(|| "-".to_owned(), |turn| turn.to_string());
            eprintln!(
                "{} {} turn {turn} -> {}",
                request.method, request.path, request.status
            );
        }
        logged = requests.len();
    }
}

/// The script path and port, or `None` when help was asked for.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<(PathBuf, u16)>, String> {
    let mut script = None;
    let mut port = 0;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" | "-p" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| {
                    format!("--port must be a number from 0 to 65535, got {value:?}")
                })?;
            }
            flag if flag.starts_with("--port=") => {
                let value = &flag["--port=".len()..];
                port = value.parse().map_err(|_| {
                    format!("--port must be a number from 0 to 65535, got {value:?}")
                })?;
            }
            flag if flag.starts_with('-') && flag != "-" => {
                return Err(format!("unknown option {flag}"));
            }
            path if script.is_none() => script = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    script
        .map(|script| Some((script, port)))
        .ok_or_else(|| "missing the script file".to_owned())
}

fn load_script(path: &std::path::Path) -> Result<Script, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read script {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("invalid script {}: {e}", path.display()))
}
