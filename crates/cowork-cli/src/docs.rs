//! `cowork docs`: render specs and Markdown to documents, read documents
//! back as Markdown — the same writers and readers the task's tools use.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use cowork_docs::markdown::{Block, Inline, Markdown};
use cowork_docs::report::ReportSpec;
use cowork_docs::{DirAssets, DocsError, spec};

use crate::cli::{DocsCommand, ReadDocArgs, RenderArgs, SchemaArgs, SchemaKind};

pub fn docs(command: &DocsCommand) -> Result<ExitCode> {
    match command {
        DocsCommand::Render(args) => render(args),
        DocsCommand::Read(args) => read(args),
        DocsCommand::Schema(args) => schema(args),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

fn render(args: &RenderArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let markdown_input = matches!(extension(&args.input).as_str(), "md" | "markdown" | "txt");
    let out_ext = extension(&args.output);
    let base = args
        .input
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let assets = DirAssets::new(base);
    let shown = args.input.display();
    let bytes = if markdown_input {
        let report = report_from_markdown(&text, args);
        match out_ext.as_str() {
            "docx" => cowork_docs::docx::write(&report, &assets),
            "pdf" => cowork_docs::pdf::write(&report, &assets),
            "pptx" => cowork_docs::pptx::spec_from_markdown(&text)
                .and_then(|deck| cowork_docs::pptx::write(&deck, &assets)),
            other => bail!(
                "Markdown renders to .docx, .pdf or .pptx, not `.{other}`; for a spreadsheet or \
                 chart give a JSON spec"
            ),
        }
    } else {
        let value: serde_json::Value =
            spec::parse_str(&text).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        match out_ext.as_str() {
            "xlsx" => spec::parse(&value).and_then(|s| cowork_docs::xlsx::write(&s)),
            "csv" => spec::parse(&value).and_then(|s| cowork_docs::xlsx::write_csv(&s, None)),
            "docx" => spec::parse(&value).and_then(|s| cowork_docs::docx::write(&s, &assets)),
            "pdf" => spec::parse(&value).and_then(|s| cowork_docs::pdf::write(&s, &assets)),
            "pptx" => spec::parse(&value).and_then(|s| cowork_docs::pptx::write(&s, &assets)),
            "png" => spec::parse(&value).and_then(|s| cowork_docs::chart::render_png(&s)),
            "svg" => spec::parse(&value)
                .and_then(|s| cowork_docs::chart::render_svg(&s))
                .map(String::into_bytes),
            other => bail!(
                "cannot render to `.{other}`: give -o a file ending in .xlsx .csv .docx .pptx \
                 .pdf .png or .svg"
            ),
        }
    }
    .map_err(|e: DocsError| anyhow::anyhow!("{shown}: {e}"))?;
    write_atomically(&args.output, &bytes)?;
    eprintln!(
        "wrote {} ({} bytes)",
        crate::safe::path(&args.output),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// A report from Markdown notes: the title is `--title`, else the first
/// level-1 heading (which then leaves the body when a title page shows it).
fn report_from_markdown(text: &str, args: &RenderArgs) -> ReportSpec {
    let parsed = Markdown::parse(text);
    let first_heading = parsed.blocks.first().and_then(|b| match b {
        Block::Heading { level: 1, content } => Some(Inline::plain(content)),
        _ => None,
    });
    ReportSpec {
        title: args.title.clone().or(first_heading),
        title_page: args.title_page,
        toc: args.toc,
        ..ReportSpec::from_markdown(text)
    }
}

/// Writes through a temporary file in the same directory and a rename, so
/// an existing file is never left half-written.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.cowork-tmp", name.to_string_lossy()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

fn read(args: &ReadDocArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let options = cowork_docs::read::ReadOptions {
        max_rows: args.max_rows.max(1),
        ..Default::default()
    };
    let name = args.file.to_string_lossy();
    let text = cowork_docs::read::read(&name, &bytes, &options)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    // A document's text is data: its control characters are shown, not
    // obeyed.
    let text = crate::safe::text(&text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    Ok(ExitCode::SUCCESS)
}

fn schema(args: &SchemaArgs) -> Result<ExitCode> {
    let schema = match args.kind {
        SchemaKind::Xlsx => spec::schema::<cowork_docs::xlsx::SpreadsheetSpec>(),
        SchemaKind::Docx | SchemaKind::Pdf => spec::schema::<ReportSpec>(),
        SchemaKind::Pptx => spec::schema::<cowork_docs::pptx::PresentationSpec>(),
        SchemaKind::Chart => spec::schema::<cowork_docs::chart::ChartSpec>(),
    };
    let text = serde_json::to_string_pretty(&schema)?;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    Ok(ExitCode::SUCCESS)
}
