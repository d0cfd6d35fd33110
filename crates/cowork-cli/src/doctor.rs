//! `cowork doctor`: checks the setup and says how to fix what is missing.

use std::process::ExitCode;

use anyhow::Result;
use console::style;

use cowork_sandbox::Availability;
use cowork_store::Store;

use crate::cli::DoctorArgs;
use crate::{config, home};

/// One check's outcome.
struct Check {
    name: &'static str,
    ok: bool,
    /// What was found, or what is wrong and how to fix it.
    detail: String,
}

pub fn doctor(args: &DoctorArgs) -> Result<ExitCode> {
    let checks = vec![
        model_check(),
        data_check(),
        config_check(),
        sandbox_check(),
        documents_check(),
    ];
    let mut out = String::new();
    if args.json {
        let items: Vec<_> = checks
            .iter()
            .map(|c| serde_json::json!({"check": c.name, "ok": c.ok, "detail": c.detail}))
            .collect();
        out = serde_json::to_string_pretty(&items)?;
        out.push('\n');
    } else {
        for c in &checks {
            let mark = if c.ok {
                style("✓").green()
            } else {
                style("✗").red()
            };
            out.push_str(&format!(
                "{mark} {:<10} {}\n",
                c.name,
                crate::safe::text(&c.detail)
            ));
        }
    }
    print!("{out}");
    Ok(if checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Renders a small sample of every document kind, in memory, and reads
/// each back: what the Create tools and `cowork docs` will do.
fn documents_check() -> Check {
    let name = "documents";
    let start = std::time::Instant::now();
    match render_samples() {
        Ok(kinds) => Check {
            name,
            ok: true,
            detail: format!(
                "{kinds} written and read back natively in {} ms",
                start.elapsed().as_millis()
            ),
        },
        Err(e) => Check {
            name,
            ok: false,
            detail: format!("{e}; report this at https://github.com/cowork-dev/cowork/issues"),
        },
    }
}

fn render_samples() -> Result<&'static str, cowork_docs::DocsError> {
    use cowork_docs::{NoAssets, read, spec};
    let options = read::ReadOptions::default();
    let sheet = spec::parse(&serde_json::json!({
        "sheets": [{"name": "S", "columns": [{"header": "A"}], "rows": [[1], ["=A2*2"]]}]
    }))?;
    read::read("s.xlsx", &cowork_docs::xlsx::write(&sheet)?, &options)?;
    let report: cowork_docs::report::ReportSpec =
        spec::parse(&serde_json::json!({"markdown": "# Check\n\n- one\n"}))?;
    read::read(
        "d.docx",
        &cowork_docs::docx::write(&report, &NoAssets)?,
        &options,
    )?;
    let deck =
        spec::parse(&serde_json::json!({"slides": [{"layout": "title", "title": "Check"}]}))?;
    read::read(
        "p.pptx",
        &cowork_docs::pptx::write(&deck, &NoAssets)?,
        &options,
    )?;
    read::read(
        "r.pdf",
        &cowork_docs::pdf::write(&report, &NoAssets)?,
        &options,
    )?;
    let chart = spec::parse(&serde_json::json!({
        "kind": "pie", "categories": ["a", "b"], "series": [{"name": "s", "values": [1, 2]}]
    }))?;
    cowork_docs::chart::render_png(&chart)?;
    Ok("XLSX, DOCX, PPTX, PDF and a chart")
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `sk-ant-api03-abcd…wxyz` → `sk-ant-…wxyz`: enough to tell keys apart.
fn mask(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let head: String = key.chars().take(7).collect();
    format!("{head}…{tail}")
}

fn model_check() -> Check {
    let name = "model";
    if let Some(key) = var("ANTHROPIC_API_KEY") {
        let base = var("ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".into());
        return Check {
            name,
            ok: true,
            detail: format!("anthropic, key {} (ANTHROPIC_API_KEY), {base}", mask(&key)),
        };
    }
    if let Some(base) = var("OPENAI_BASE_URL") {
        return Check {
            name,
            ok: true,
            detail: format!(
                "openai-compatible at {base} (OPENAI_BASE_URL){}; name the model with --model",
                if var("OPENAI_API_KEY").is_some() {
                    ", key set"
                } else {
                    ""
                }
            ),
        };
    }
    if let Some(key) = var("OPENAI_API_KEY") {
        return Check {
            name,
            ok: true,
            detail: format!("openai, key {} (OPENAI_API_KEY)", mask(&key)),
        };
    }
    Check {
        name,
        ok: false,
        detail: "no model configured: export ANTHROPIC_API_KEY=sk-ant-…, or pass \
                 --provider openai --base-url http://localhost:11434/v1 --model NAME for Ollama \
                 (or set OPENAI_BASE_URL / OPENAI_API_KEY)"
            .into(),
    }
}

fn config_check() -> Check {
    let name = "config";
    let Some(path) = config::config_path() else {
        return Check {
            name,
            ok: true,
            detail: "no config file (set COWORK_CONFIG or HOME to use one)".into(),
        };
    };
    if !path.exists() {
        return Check {
            name,
            ok: true,
            detail: format!(
                "{} does not exist; defaults apply (mode ask, no rules)",
                path.display()
            ),
        };
    }
    match config::load() {
        Ok(c) => Check {
            name,
            ok: true,
            detail: format!(
                "{}: mode {}, {}",
                path.display(),
                c.mode.unwrap_or_default().as_str(),
                crate::render::plural(c.rules.len() as u64, "rule")
            ),
        },
        Err(e) => Check {
            name,
            ok: false,
            detail: format!("{e:#}"),
        },
    }
}

/// What the sandbox probe saw from inside a real sandbox.
fn sandbox_check() -> Check {
    let name = "sandbox";
    match cowork_sandbox::probe() {
        Availability::Ready(layers) => {
            let mut active = Vec::new();
            let namespaces: Vec<&str> = [
                (layers.user_ns, "user"),
                (layers.mount_ns, "mount"),
                (layers.pid_ns, "pid"),
                (layers.net_ns, "net"),
                (layers.ipc_ns, "ipc"),
                (layers.uts_ns, "uts"),
            ]
            .into_iter()
            .filter_map(|(on, n)| on.then_some(n))
            .collect();
            active.push(format!("namespaces {}", namespaces.join("/")));
            if layers.seccomp {
                active.push("seccomp".to_owned());
            }
            match layers.landlock {
                Some(abi) => active.push(format!("landlock ABI {abi}")),
                None => active.push("no landlock (kernel too old)".to_owned()),
            }
            if layers.no_new_privs {
                active.push("no_new_privs".to_owned());
            }
            active.push(
                if layers.cgroup {
                    "memory and processes capped for each run as a whole (cgroup)"
                } else {
                    "memory capped per process only (no writable cgroup: several processes of \
                     one command together can use more)"
                }
                .to_owned(),
            );
            Check {
                name,
                ok: true,
                detail: format!("verified from inside: {}", active.join(", ")),
            }
        }
        Availability::Unavailable { cause, fix } => Check {
            name,
            ok: false,
            detail: format!("{cause} — {fix}"),
        },
    }
}

fn data_check() -> Check {
    let name = "data";
    let path = match home::database_path() {
        Ok(p) => p,
        Err(e) => {
            return Check {
                name,
                ok: false,
                detail: e.to_string(),
            };
        }
    };
    match Store::open(&path).and_then(|s| s.list_tasks(usize::MAX).map(|t| t.len())) {
        Ok(n) => Check {
            name,
            ok: true,
            detail: format!("{} ({n} tasks; set COWORK_HOME to move it)", path.display()),
        },
        Err(e) => Check {
            name,
            ok: false,
            detail: format!("{e}; set COWORK_HOME to a writable folder"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_keys_show_only_their_ends() {
        assert_eq!(mask("sk-ant-api03-secretsecret-wxyz"), "sk-ant-…wxyz");
    }
}
