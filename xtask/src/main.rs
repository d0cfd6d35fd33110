//! Developer tasks for cowork, run with `cargo run --release -p xtask -- …`.
//!
//! - `bench loop [--steps N]`: the agent loop's overhead per tool step.
//! - `bench grep [--files N]`: the Grep tool against ripgrep.
//! - `bench undo [--files N]`: reorganise N files with Move, then undo.
//! - `bench exec`: one sandboxed `true` against plain exec and bubblewrap.
//! - `bench docs`: the XLSX, DOCX and PPTX writers against openpyxl,
//!   python-docx and python-pptx.
//! - `bench serve`: a real `cowork serve`: idle memory, the home page's
//!   time to first byte, and a model's token to an SSE client.
//! - `bench plugins-load`: loading every fixture plugin, and `cowork
//!   plugin validate` of the fixtures marketplace as a whole process.
//! - `bench mcp [--calls N]`: an MCP tool call over stdio through cowork
//!   against a direct JSON-RPC call of the same server.
//! - `bench schedule [--schedules N]`: next-run computation for N schedules
//!   against Python's croniter.
//! - `bench memory [--entries N] [--queries N] [--corpus varied|templates]`:
//!   memory recall over 100,000 entries, for a Zipf corpus and a
//!   pessimistic template one, against Python's sqlite3 running the same
//!   FTS5 query.

// A command-line tool: printing results is its job.
#![expect(clippy::print_stdout, reason = "xtask reports to the terminal")]

mod docs_bench;
mod exec_bench;
mod grep_bench;
mod loop_bench;
mod mcp_bench;
mod memory_bench;
mod memory_corpus;
mod plugins_bench;
mod schedule_bench;
mod serve_bench;
mod undo_bench;

const USAGE: &str =
    "usage: cargo run --release -p xtask -- bench loop [--steps N] | bench grep [--files N] | \
     bench undo [--files N] | bench exec | bench docs | bench serve | bench plugins-load | \
     bench mcp [--calls N] | bench schedule [--schedules N]
     bench memory [--entries N] [--queries N] [--corpus varied|templates]";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["bench", "loop"] => loop_bench::run(1000),
        ["bench", "loop", "--steps", n] => loop_bench::run(n.parse()?),
        ["bench", "grep", rest @ ..] => grep_bench::run(rest),
        ["bench", "undo", rest @ ..] => undo_bench::run(rest),
        ["bench", "exec", rest @ ..] => exec_bench::run(rest),
        ["bench", "docs", rest @ ..] => docs_bench::run(rest),
        ["bench", "serve", rest @ ..] => serve_bench::run(rest),
        ["bench", "plugins-load", rest @ ..] => plugins_bench::run(rest),
        ["bench", "mcp", rest @ ..] => mcp_bench::run(rest),
        ["bench", "schedule", rest @ ..] => schedule_bench::run(rest),
        ["bench", "memory", rest @ ..] => memory_bench::run(rest),
        _ => anyhow::bail!("{USAGE}"),
    }
}
