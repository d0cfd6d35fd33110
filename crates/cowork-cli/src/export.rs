//! `cowork export`: one task to one file, to share it. The rendering is
//! cowork-server's (the web UI offers the same file); what is secret is
//! gathered by [`crate::secrets`], for the web UI's export too; this
//! writes the file
//! atomically: a reader never sees half an export, and an existing file
//! is replaced only with `--force`.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use cowork_protocol::config::Config;
use cowork_server::export::{self, Format, Redactor};
use cowork_store::Store;

use crate::cli::{ExportArgs, ExportFormat};
use crate::{home, safe};

pub fn export(args: &ExportArgs, store: &Store, config: &Config) -> Result<ExitCode> {
    let row = store.task(&args.id)?;
    let events = store.events(&row.id)?;
    let format = match args.format {
        Some(ExportFormat::Html) => Format::Html,
        Some(ExportFormat::Md) => Format::Markdown,
        Some(ExportFormat::Json) => Format::Json,
        None => Format::from_extension(&args.output).unwrap_or(Format::Html),
    };
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout {
        check_target(&args.output, args.force)?;
    }
    let redactor = Redactor::new(crate::secrets::gather(config));
    let own = crate::config::own_paths()?;
    let hidden = cowork_core::hidden_paths(&config.rules);
    let data_dir = home::data_dir()?;
    let inputs = export::Inputs {
        redactor: &redactor,
        hidden: &hidden,
        reserved: &own.reserved(),
        journal_dir: Some(&data_dir),
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let (model, text) = export::export_task(store, &row, &events, inputs, format, now)?;
    if to_stdout {
        let mut out = std::io::stdout().lock();
        // What the model and the files said must not drive a terminal; a
        // pipe or a redirect gets the file exactly.
        let shown = if out.is_terminal() {
            safe::text(&text)
        } else {
            std::borrow::Cow::Borrowed(text.as_str())
        };
        out.write_all(shown.as_bytes())
            .and_then(|()| out.flush())
            .context("could not write the export to standard output")?;
        return Ok(ExitCode::SUCCESS);
    }
    write_atomically(&args.output, text.as_bytes(), args.force)?;
    println!(
        "exported task {} to {} ({}, {} steps, {} files)",
        row.id.short(),
        safe::path(&args.output),
        format.as_str(),
        model.steps.len(),
        model.files.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses, before any work, an output that cannot be written or would
/// replace a file without `--force`.
fn check_target(path: &Path, force: bool) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => bail!(
            "{} is a folder: give the export a file name, e.g. {}",
            safe::path(path),
            safe::path(&path.join("task.html"))
        ),
        Ok(_) if !force => bail!(
            "{} already exists: pass --force to replace it, or choose another name",
            safe::path(path)
        ),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot use {} for the export", safe::path(path)));
        }
    }
    let parent = parent_of(path);
    if !parent.is_dir() {
        bail!(
            "the folder {} does not exist: create it first or write the export elsewhere",
            safe::path(&parent)
        );
    }
    Ok(())
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        Some(_) | None => PathBuf::from("."),
    }
}

/// Writes `bytes` to a new file beside `path`, syncs it, and renames it
/// over `path`: a crash leaves the old file or the new one, never half.
/// Without `force` a file that appeared meanwhile is not replaced.
fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    let parent = parent_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_owned());
    let fail = |what: &str| format!("could not {what} the export {}", safe::path(path));
    let mut temp = None;
    for attempt in 0..16u32 {
        let candidate = parent.join(format!(
            ".{name}.{}-{attempt}.cowork-export",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => {
                temp = Some((candidate, file));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| fail("write")),
        }
    }
    let Some((temp_path, mut file)) = temp else {
        bail!("{}: too many leftover temporary files", fail("write"));
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| fail("write"))
        .and_then(|()| place(&temp_path, path, force).with_context(|| fail("save")));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp_path);
        return Err(e);
    }
    // The rename itself survives a crash once the folder is synced.
    if let Ok(dir) = std::fs::File::open(&parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Puts the written file at `path`. Without `force`, a hard link makes
/// the new name only if none exists (atomically), then the temporary
/// name goes; where links are not supported, a check then a rename.
fn place(temp: &Path, path: &Path, force: bool) -> Result<()> {
    if force {
        return Ok(std::fs::rename(temp, path)?);
    }
    match std::fs::hard_link(temp, path) {
        Ok(()) => {
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "another program created {} meanwhile: pass --force to replace it",
            safe::path(path)
        ),
        Err(_) if std::fs::symlink_metadata(path).is_err() => Ok(std::fs::rename(temp, path)?),
        Err(e) => Err(e.into()),
    }
}
