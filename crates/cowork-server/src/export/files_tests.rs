use std::path::Path;

use cowork_files::{Folders, JournalStore, content_hash};
use cowork_protocol::{Change, Event, FileStamp, FolderGrant, RawPath};
use cowork_store::StoredEvent;

use super::*;
use crate::backend::FileChangeKind;

struct Setup {
    _dir: tempfile::TempDir,
    folder: std::path::PathBuf,
    data: std::path::PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("folder")).unwrap();
    let folder = dir.path().join("folder").canonicalize().unwrap();
    let data = dir.path().join("data");
    Setup {
        _dir: dir,
        folder,
        data,
    }
}

impl Setup {
    fn folders(&self) -> Folders {
        Folders::open(&[FolderGrant {
            path: self.folder.clone(),
            read_only: false,
        }])
        .unwrap()
    }

    fn journal(&self) -> JournalStore {
        JournalStore::open(&self.data).unwrap()
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = self.folder.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn collect(&self, changes: Vec<Change>, redactor: &Redactor) -> Vec<ExportedFile> {
        let events: Vec<StoredEvent> = changes
            .into_iter()
            .enumerate()
            .map(|(i, change)| StoredEvent {
                seq: i as u64 + 1,
                at: 0,
                event: Event::FileChanged {
                    call_id: format!("c{i}"),
                    change,
                },
            })
            .collect();
        let folders = self.folders();
        let journal = self.journal();
        collect(&events, Some(&folders), Some(&journal), redactor)
    }
}

fn created(path: &Path, bytes: &[u8]) -> Change {
    Change::Created {
        path: RawPath(path.to_path_buf()),
        hash: content_hash(bytes),
    }
}

fn stamp() -> FileStamp {
    FileStamp {
        size: 0,
        mtime_ns: 0,
        inode: 0,
        hash: None,
    }
}

#[test]
fn a_file_as_the_task_left_it_is_shown_from_its_folder() {
    let s = setup();
    let path = s.write("out/a.txt", b"hello <world>\n");
    let files = s.collect(
        vec![created(&path, b"hello <world>\n")],
        &Redactor::default(),
    );
    assert_eq!(files.len(), 1);
    let file = &files[0];
    assert_eq!(file.source, Source::AsLeft);
    assert_eq!(file.change, FileChangeKind::Created);
    assert_eq!(file.preview_kind, PreviewKind::Text);
    assert_eq!(file.preview.as_deref(), Some("hello <world>\n"));
    assert_eq!(file.size, Some(14));
    assert_eq!(file.sha256.as_ref().map(String::len), Some(64));
}

#[test]
fn a_file_changed_later_is_shown_as_the_task_left_it_when_the_journal_kept_it() {
    let s = setup();
    let path = s.write("a.txt", b"edited by hand\n");
    // A later task's edit saved the version this task wrote as a blob.
    let journal = s.journal();
    let hash = content_hash(b"the task's words\n");
    let blob = journal.blob_path(&hash);
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::write(&blob, b"the task's words\n").unwrap();
    let files = s.collect(
        vec![created(&path, b"the task's words\n")],
        &Redactor::default(),
    );
    assert_eq!(files[0].source, Source::Kept);
    assert!(
        files[0].note.contains("Changed after the task"),
        "{}",
        files[0].note
    );
    assert_eq!(files[0].preview.as_deref(), Some("the task's words\n"));
}

#[test]
fn a_file_changed_later_without_a_kept_copy_says_the_current_one_is_shown() {
    let s = setup();
    let path = s.write("a.txt", b"edited by hand\n");
    let files = s.collect(
        vec![created(&path, b"the task's words\n")],
        &Redactor::default(),
    );
    assert_eq!(files[0].source, Source::ChangedSince);
    assert!(
        files[0].note.contains("shown as it is now"),
        "{}",
        files[0].note
    );
    assert_eq!(files[0].preview.as_deref(), Some("edited by hand\n"));
}

#[test]
fn a_file_deleted_later_with_nothing_kept_is_listed_as_gone() {
    let s = setup();
    let path = s.folder.join("gone.txt");
    let files = s.collect(vec![created(&path, b"x")], &Redactor::default());
    assert_eq!(files[0].source, Source::Gone);
    assert_eq!(files[0].preview_kind, PreviewKind::None);
    assert_eq!(files[0].size, None);
}

#[test]
fn a_file_the_task_trashed_shows_what_the_trash_holds() {
    let s = setup();
    let journal = s.journal();
    let item = journal.trash().item_path("20261205T120000-abcd1234");
    std::fs::create_dir_all(item.parent().unwrap()).unwrap();
    std::fs::write(&item, b"old notes\n").unwrap();
    let path = s.folder.join("old.txt");
    let files = s.collect(
        vec![Change::Trashed {
            path: RawPath(path.clone()),
            trash_id: "20261205T120000-abcd1234".into(),
            stamp: stamp(),
        }],
        &Redactor::default(),
    );
    assert_eq!(files[0].change, FileChangeKind::Deleted);
    assert_eq!(files[0].source, Source::Trashed);
    assert_eq!(files[0].preview.as_deref(), Some("old notes\n"));
}

#[test]
fn a_created_file_moved_by_the_task_is_listed_once_under_its_new_name() {
    let s = setup();
    let from = s.folder.join("draft.txt");
    let to = s.write("final/report.txt", b"report\n");
    let files = s.collect(
        vec![
            created(&from, b"report\n"),
            Change::Moved {
                from: RawPath(from.clone()),
                to: RawPath(to.clone()),
                stamp: stamp(),
            },
        ],
        &Redactor::default(),
    );
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "report.txt");
    assert_eq!(files[0].change, FileChangeKind::Created);
    assert_eq!(files[0].source, Source::AsLeft);
}

#[test]
fn an_image_is_embedded_and_one_holding_a_secret_is_not() {
    let s = setup();
    let png = b"\x89PNG\r\n\x1a\nnot really but bytes";
    let path = s.write("chart.png", png);
    let files = s.collect(vec![created(&path, png)], &Redactor::default());
    assert_eq!(files[0].preview_kind, PreviewKind::Image);
    assert_eq!(files[0].media_type, "image/png");
    assert!(files[0].original_base64.is_some());

    let mut leaky = png.to_vec();
    leaky.extend_from_slice(b"tEXt ghp_0123456789abcdefABCDEF0123456789ab");
    let path = s.write("leaky.png", &leaky);
    let files = s.collect(vec![created(&path, &leaky)], &Redactor::default());
    assert_eq!(files[0].original_base64, None);
    assert_eq!(files[0].preview_kind, PreviewKind::None);
    assert!(files[0].not_embedded.as_deref().unwrap().contains("secret"));
}

#[test]
fn a_document_holding_a_secret_is_previewed_redacted_and_not_embedded() {
    let s = setup();
    let spec: cowork_docs::report::ReportSpec = cowork_docs::spec::parse(&serde_json::json!({
        "markdown": "# Access\n\nThe key is Zq9-doc-secret-77 for now.\n"
    }))
    .unwrap();
    // Compressed inside the DOCX: only the read-back text shows the key.
    let bytes = cowork_docs::docx::write(&spec, &cowork_docs::NoAssets).unwrap();
    let redactor = Redactor::new(["Zq9-doc-secret-77".to_owned()]);
    assert!(
        !redactor.finds_secret(&bytes),
        "the test needs a compressed secret"
    );
    let path = s.write("access.docx", &bytes);
    let files = s.collect(vec![created(&path, &bytes)], &redactor);
    let file = &files[0];
    assert_eq!(file.preview_kind, PreviewKind::Markdown);
    let preview = file.preview.as_deref().unwrap();
    assert!(
        preview.contains("The key is [redacted] for now."),
        "{preview}"
    );
    assert_eq!(file.original_base64, None);
    assert!(file.not_embedded.as_deref().unwrap().contains("secret"));

    // The same document without the secret is embedded for download.
    let files = s.collect(vec![created(&path, &bytes)], &Redactor::default());
    assert!(files[0].original_base64.is_some());
}

#[test]
fn a_file_over_the_embed_cap_is_named_with_its_size_and_sha256() {
    let s = setup();
    // Not UTF-8: a binary, offered only as a download.
    let bytes = vec![0xffu8; usize::try_from(EMBED_MAX_BYTES).unwrap() + 1];
    let path = s.write("big.bin", &bytes);
    let files = s.collect(vec![created(&path, &bytes)], &Redactor::default());
    let file = &files[0];
    assert_eq!(file.original_base64, None);
    assert_eq!(file.size, Some(EMBED_MAX_BYTES + 1));
    assert!(
        file.not_embedded.as_deref().unwrap().contains("5.0 MiB"),
        "{file:?}"
    );
    let mut sha = super::super::encode::Sha256::new();
    sha.update(&bytes);
    assert_eq!(file.sha256.as_deref(), Some(sha.finish_hex().as_str()));
}

#[test]
fn a_path_hidden_by_a_deny_rule_is_not_read_for_the_export() {
    let s = setup();
    let path = s.write("secret/keys.txt", b"private\n");
    let folders = s
        .folders()
        .with_hidden(&[format!("{}/secret/**", s.folder.display())])
        .unwrap();
    let events = vec![StoredEvent {
        seq: 1,
        at: 0,
        event: Event::FileChanged {
            call_id: "c".into(),
            change: created(&path, b"private\n"),
        },
    }];
    let files = collect(&events, Some(&folders), None, &Redactor::default());
    assert_eq!(files[0].source, Source::Gone, "{:?}", files[0]);
    assert_eq!(files[0].preview, None);
}
