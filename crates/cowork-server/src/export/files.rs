//! The files a task created or changed, for an export: folded from the
//! log's `FileChanged` events with the content each change left, then read
//! back — from the connected folder when the file is still as the task
//! left it, else from what the change journal kept (its blobs and the
//! trash) — and shown: text as text, images as pictures, office files
//! through cowork-docs' readers, with the original embedded when it is
//! small enough and holds no secret.
//!
//! Files in connected folders are opened beneath the task's grants
//! (`openat2(RESOLVE_BENEATH)` in cowork-files), with the person's deny
//! rules and cowork's own folders concealed as they were from the task.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};
use serde::{Deserialize, Serialize};

use cowork_docs::read::{Format, ReadOptions};
use cowork_files::{Folders, JournalStore, show_path};
use cowork_protocol::words::bytes as human_bytes;
use cowork_protocol::{Change, Event};
use cowork_store::StoredEvent;

use super::encode::{Sha256, base64};
use super::redact::Redactor;
use crate::backend::FileChangeKind;
use crate::web::text::capped;

/// The largest file whose original is embedded (as a `data:` download
/// link, or as the picture itself): larger ones are named with their size
/// and SHA-256.
pub const EMBED_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// The largest file read for a preview; past it only the size and hash.
const PREVIEW_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Characters of a text file or a document's preview shown at most.
pub const MAX_TEXT_CHARS: usize = 200_000;
/// Rows of each sheet shown.
const MAX_SHEET_ROWS: usize = 100;

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedFile {
    /// Absolute path, as the log records it.
    pub path: String,
    pub name: String,
    /// What the task did: `created`, `modified`, `moved` or `deleted`.
    pub change: FileChangeKind,
    /// Where the content shown comes from.
    pub source: Source,
    /// The same in words, for a person.
    pub note: String,
    /// Size of the content shown.
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub media_type: String,
    pub preview_kind: PreviewKind,
    /// The text or Markdown shown (already cut to [`MAX_TEXT_CHARS`]).
    pub preview: Option<String>,
    /// The original, Base64, when embedded.
    pub original_base64: Option<String>,
    /// Why the original is not embedded, when it is not.
    pub not_embedded: Option<String>,
}

/// Where an exported file's content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The file is as the task left it.
    AsLeft,
    /// It changed or went after the task; the change journal kept the
    /// task's version, which is shown.
    Kept,
    /// It changed after the task and the task's version is not kept: the
    /// current one is shown.
    ChangedSince,
    /// The task moved it without writing it: shown as it is now.
    Current,
    /// The task moved it to cowork's trash: what the trash holds is shown.
    Trashed,
    /// Nothing is left to show.
    Gone,
}

/// How an exported file is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreviewKind {
    /// `preview` is the file's text.
    Text,
    /// `preview` is a document read back as Markdown.
    Markdown,
    /// The original is the picture.
    Image,
    None,
}

/// One path's story in the log.
#[derive(Debug, Clone)]
struct Left {
    path: PathBuf,
    change: FileChangeKind,
    /// The hash of the content the task left there, when it wrote it.
    hash: Option<String>,
    /// The trash entry and the path inside it, when the task trashed it.
    trashed: Option<(String, PathBuf)>,
}

/// Folds the log's file changes into one entry per path, in the order the
/// task first touched them. Folders created are left out.
fn fold(events: &[StoredEvent]) -> Vec<Left> {
    let mut list: Vec<Left> = Vec::new();
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let upsert = |list: &mut Vec<Left>, index: &mut HashMap<PathBuf, usize>, left: Left| match index
        .get(&left.path)
    {
        Some(&i) => list[i] = left,
        None => {
            index.insert(left.path.clone(), list.len());
            list.push(left);
        }
    };
    for stored in events {
        let Event::FileChanged { change, .. } = &stored.event else {
            continue;
        };
        match change {
            Change::Created { path, hash } => upsert(
                &mut list,
                &mut index,
                Left {
                    path: path.0.clone(),
                    change: FileChangeKind::Created,
                    hash: Some(hash.clone()),
                    trashed: None,
                },
            ),
            Change::Modified { path, after, .. } => {
                let created = index
                    .get(&path.0)
                    .is_some_and(|&i| list[i].change == FileChangeKind::Created);
                upsert(
                    &mut list,
                    &mut index,
                    Left {
                        path: path.0.clone(),
                        change: if created {
                            FileChangeKind::Created
                        } else {
                            FileChangeKind::Modified
                        },
                        hash: Some(after.clone()),
                        trashed: None,
                    },
                );
            }
            Change::Moved { from, to, .. } => {
                let mut moved_itself = false;
                for (i, left) in list.iter_mut().enumerate() {
                    let Ok(rest) = left.path.strip_prefix(&from.0) else {
                        continue;
                    };
                    moved_itself |= rest.as_os_str().is_empty();
                    let new_path = if rest.as_os_str().is_empty() {
                        to.0.clone()
                    } else {
                        to.0.join(rest)
                    };
                    index.remove(&left.path);
                    index.insert(new_path.clone(), i);
                    left.path = new_path;
                    left.change = match left.change {
                        FileChangeKind::Created => FileChangeKind::Created,
                        FileChangeKind::Modified
                        | FileChangeKind::Moved
                        | FileChangeKind::Deleted => FileChangeKind::Moved,
                    };
                }
                if !moved_itself {
                    upsert(
                        &mut list,
                        &mut index,
                        Left {
                            path: to.0.clone(),
                            change: FileChangeKind::Moved,
                            hash: None,
                            trashed: None,
                        },
                    );
                }
            }
            Change::Trashed { path, trash_id, .. } => {
                let mut trashed_itself = false;
                for left in &mut list {
                    let Ok(rest) = left.path.strip_prefix(&path.0) else {
                        continue;
                    };
                    trashed_itself |= rest.as_os_str().is_empty();
                    left.change = FileChangeKind::Deleted;
                    left.trashed = Some((trash_id.clone(), rest.to_path_buf()));
                }
                if !trashed_itself {
                    upsert(
                        &mut list,
                        &mut index,
                        Left {
                            path: path.0.clone(),
                            change: FileChangeKind::Deleted,
                            hash: None,
                            trashed: Some((trash_id.clone(), PathBuf::new())),
                        },
                    );
                }
            }
            Change::DirCreated { .. } => {}
        }
    }
    list
}

/// Content read for an export: the first bytes (all of them up to
/// [`PREVIEW_MAX_BYTES`]) and the hashes of the whole.
struct Content {
    bytes: Option<Vec<u8>>,
    size: u64,
    sha256: String,
    blake3: String,
}

/// Reads everything `reader` yields, keeping the bytes only while they
/// fit a preview.
fn read_all(reader: &mut dyn Read) -> std::io::Result<Content> {
    struct Tee<'a> {
        inner: &'a mut dyn Read,
        sha: Sha256,
        kept: Vec<u8>,
        size: u64,
    }
    impl Read for Tee<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.sha.update(&buf[..n]);
            self.size += n as u64;
            if self.size <= PREVIEW_MAX_BYTES {
                self.kept.extend_from_slice(&buf[..n]);
            }
            Ok(n)
        }
    }
    let mut tee = Tee {
        inner: reader,
        sha: Sha256::new(),
        kept: Vec::new(),
        size: 0,
    };
    let blake3 = cowork_files::content_hash_reader(&mut tee)?;
    let fits = tee.size <= PREVIEW_MAX_BYTES;
    Ok(Content {
        bytes: fits.then_some(tee.kept),
        size: tee.size,
        sha256: tee.sha.finish_hex(),
        blake3,
    })
}

/// A regular file in a connected folder, through the grants, without
/// following a link put in its place.
fn read_in_folder(folders: &Folders, path: &Path) -> Option<Content> {
    let resolved = folders.resolve_path(path).ok()?;
    let flags = OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::NOFOLLOW;
    let fd = resolved.open(flags, Mode::empty()).ok()?;
    let stat = rustix::fs::fstat(&fd).ok()?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return None;
    }
    read_all(&mut std::fs::File::from(fd)).ok()
}

/// A regular file in cowork's own storage (a blob, a trash item), not
/// followed if a link was put in its place.
fn read_own(path: &Path) -> Option<Content> {
    let flags =
        OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty()).ok()?;
    let stat = rustix::fs::fstat(&fd).ok()?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return None;
    }
    read_all(&mut std::fs::File::from(fd)).ok()
}

/// The task's version of a file from the journal: a blob holding it, or a
/// trash entry that does.
fn kept(journal: &JournalStore, path: &Path, hash: &str) -> Option<Content> {
    if journal.has_blob(hash) {
        return read_own(&journal.blob_path(hash));
    }
    let trash = journal.trash();
    trash
        .list()
        .ok()?
        .into_iter()
        .filter(|e| e.original == path && !e.is_dir)
        .find(|e| trash.item_hash(&e.id).as_deref() == Some(hash))
        .and_then(|e| read_own(&trash.item_path(&e.id)))
}

/// The files `events` created or changed, read back and shown. Secrets in
/// them are redacted by `redactor` in what is shown, and an original that
/// holds one is not embedded.
pub(super) fn collect(
    events: &[StoredEvent],
    folders: Option<&Folders>,
    journal: Option<&JournalStore>,
    redactor: &Redactor,
) -> Vec<ExportedFile> {
    fold(events)
        .into_iter()
        .map(|left| export_one(&left, folders, journal, redactor))
        .collect()
}

fn export_one(
    left: &Left,
    folders: Option<&Folders>,
    journal: Option<&JournalStore>,
    redactor: &Redactor,
) -> ExportedFile {
    let (source, note, content) = locate(left, folders, journal);
    let name = left
        .path
        .file_name()
        .map(|n| show_path(Path::new(n)))
        .unwrap_or_else(|| show_path(&left.path));
    let mut file = ExportedFile {
        path: show_path(&left.path),
        media_type: media_type(&name).to_owned(),
        name,
        change: left.change,
        source,
        note,
        size: content.as_ref().map(|c| c.size),
        sha256: content.as_ref().map(|c| c.sha256.clone()),
        preview_kind: PreviewKind::None,
        preview: None,
        original_base64: None,
        not_embedded: None,
    };
    if let Some(content) = content {
        show(&mut file, &content, redactor);
    }
    file
}

/// Where the content to show is, and what to say about it.
fn locate(
    left: &Left,
    folders: Option<&Folders>,
    journal: Option<&JournalStore>,
) -> (Source, String, Option<Content>) {
    if let Some((id, rest)) = &left.trashed {
        let item = journal.map(|j| {
            let item = j.trash().item_path(id);
            if rest.as_os_str().is_empty() {
                item
            } else {
                item.join(rest)
            }
        });
        return match item.and_then(|item| read_own(&item)) {
            Some(content) => (
                Source::Trashed,
                "The task moved it to cowork's trash; this is what the trash holds.".to_owned(),
                Some(content),
            ),
            None => (
                Source::Gone,
                "The task moved it to cowork's trash, which no longer holds it.".to_owned(),
                None,
            ),
        };
    }
    let now = folders.and_then(|f| read_in_folder(f, &left.path));
    let Some(hash) = &left.hash else {
        return match now {
            Some(now) => (
                Source::Current,
                "Moved by the task; shown as it is now.".to_owned(),
                Some(now),
            ),
            None => (
                Source::Gone,
                "Moved by the task, and no longer there.".to_owned(),
                None,
            ),
        };
    };
    if now.as_ref().is_some_and(|now| now.blake3 == *hash) {
        return (Source::AsLeft, "As the task left it.".to_owned(), now);
    }
    let from_journal = journal.and_then(|j| kept(j, &left.path, hash));
    match (now, from_journal) {
        (Some(_), Some(kept)) => (
            Source::Kept,
            "Changed after the task; shown as the task left it, from the change journal."
                .to_owned(),
            Some(kept),
        ),
        (None, Some(kept)) => (
            Source::Kept,
            "Deleted or moved after the task; shown as the task left it, from the change journal."
                .to_owned(),
            Some(kept),
        ),
        (Some(now), None) => (
            Source::ChangedSince,
            "Changed after the task, and the journal kept no copy of the task's version: shown as \
             it is now."
                .to_owned(),
            Some(now),
        ),
        (None, None) => (
            Source::Gone,
            "Deleted or moved after the task, and the journal kept no copy.".to_owned(),
            None,
        ),
    }
}

fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "xlsx" | "xlsm" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xls" => "application/vnd.ms-excel",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "md" | "markdown" => "text/markdown",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// Fills the preview and decides whether the original goes in.
fn show(file: &mut ExportedFile, content: &Content, redactor: &Redactor) {
    let Some(bytes) = &content.bytes else {
        file.not_embedded = Some(format!(
            "larger than the {} a preview reads",
            human_bytes(PREVIEW_MAX_BYTES)
        ));
        return;
    };
    let mut secret = redactor.finds_secret(bytes);
    let image = file.media_type.starts_with("image/");
    let document = Format::from_name(&file.name).is_some();
    if image {
        file.preview_kind = PreviewKind::Image;
    } else if document {
        let options = ReadOptions {
            max_rows: MAX_SHEET_ROWS,
            max_chars: MAX_TEXT_CHARS,
        };
        match cowork_docs::read::read(&file.name, bytes, &options) {
            Ok(text) => {
                let redacted = redactor.redact(&text);
                secret |= redacted != text;
                file.preview_kind = PreviewKind::Markdown;
                file.preview = Some(redacted);
            }
            Err(e) => {
                file.note = format!("{} It could not be read for a preview: {e}", file.note);
            }
        }
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        file.preview_kind = PreviewKind::Text;
        file.preview = Some(redactor.redact(&capped(text, MAX_TEXT_CHARS)));
        // The text is shown (redacted); the original would repeat it.
        return;
    }
    if secret {
        file.not_embedded = Some("it contains a secret, redacted in the preview".to_owned());
        if image {
            file.preview_kind = PreviewKind::None;
        }
    } else if content.size > EMBED_MAX_BYTES {
        file.not_embedded = Some(format!(
            "larger than the {} an export embeds",
            human_bytes(EMBED_MAX_BYTES)
        ));
        if image {
            file.preview_kind = PreviewKind::None;
        }
    } else {
        file.original_base64 = Some(base64(bytes));
    }
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
