//! Fixture for the writing tools: a connected folder, a journal store and
//! a sink that keeps the recorded changes in memory.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cowork_files::{
    ChangeSink, Expected, FileError, FileTools, Folders, Journal, JournalStore, TrashRecord, undo,
};
use cowork_protocol::{Change, FolderGrant};
use serde_json::Value;

use super::SECRET;

/// Keeps every recorded change; can be told to fail.
#[derive(Default)]
pub struct VecSink {
    pub changes: Mutex<Vec<Change>>,
    pub calls: Mutex<Vec<usize>>,
    pub fail: AtomicBool,
}

impl ChangeSink for VecSink {
    fn record(&self, changes: &[Change]) -> Result<(), String> {
        if self.fail.load(Ordering::SeqCst) {
            return Err("disk full (test)".to_owned());
        }
        self.changes.lock().unwrap().extend_from_slice(changes);
        self.calls.lock().unwrap().push(changes.len());
        Ok(())
    }
}

pub struct Work {
    pub base: tempfile::TempDir,
    /// The connected folder (canonical).
    pub root: PathBuf,
    pub store: Arc<JournalStore>,
    pub sink: Arc<VecSink>,
    pub folders: Arc<Folders>,
    pub tools: FileTools,
}

impl Work {
    pub fn new() -> Self {
        Self::build(false, None)
    }

    pub fn read_only() -> Self {
        Self::build(true, None)
    }

    /// With a custom sink.
    pub fn with_sink(sink: Arc<dyn ChangeSink>) -> Self {
        Self::build(false, Some(sink))
    }

    fn build(read_only: bool, sink: Option<Arc<dyn ChangeSink>>) -> Self {
        let base = tempfile::tempdir().unwrap();
        let outside = base.path().canonicalize().unwrap();
        let root = outside.join("folder");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(outside.join("outside.txt"), SECRET).unwrap();
        std::fs::create_dir(outside.join("outside_dir")).unwrap();
        std::fs::write(outside.join("outside_dir/secret.txt"), SECRET).unwrap();
        let store = Arc::new(JournalStore::open(&outside.join("data")).unwrap());
        let vec_sink = Arc::new(VecSink::default());
        let folders = Arc::new(
            Folders::open(&[FolderGrant {
                path: root.clone(),
                read_only,
            }])
            .unwrap(),
        );
        let journal = Journal {
            store: Arc::clone(&store),
            sink: sink.unwrap_or_else(|| vec_sink.clone()),
            task: Some("task-1".to_owned()),
        };
        let tools = FileTools::with_journal(Arc::clone(&folders), journal);
        Self {
            base,
            root,
            store,
            sink: vec_sink,
            folders,
            tools,
        }
    }

    pub fn outside(&self) -> PathBuf {
        self.base.path().canonicalize().unwrap()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }

    pub fn exists(&self, rel: impl AsRef<Path>) -> bool {
        self.root.join(rel).symlink_metadata().is_ok()
    }

    pub fn call(&self, tool: &str, input: Value) -> Result<String, FileError> {
        self.tools.call(tool, &input)
    }

    #[track_caller]
    pub fn ok(&self, tool: &str, input: Value) -> String {
        match self.call(tool, input.clone()) {
            Ok(text) => text,
            Err(err) => panic!("{tool} {input} failed: {err}"),
        }
    }

    #[track_caller]
    pub fn err(&self, tool: &str, input: Value) -> FileError {
        match self.call(tool, input.clone()) {
            Ok(text) => panic!("{tool} {input} should have failed but said: {text}"),
            Err(err) => err,
        }
    }

    pub fn changes(&self) -> Vec<Change> {
        self.sink.changes.lock().unwrap().clone()
    }

    /// What the journal recorded about trash entry `id` (its `Trashed`
    /// change), as `cowork trash restore` finds it.
    pub fn trash_record(&self, id: &str) -> TrashRecord {
        self.changes()
            .into_iter()
            .find_map(|change| match change {
                Change::Trashed {
                    path,
                    trash_id,
                    stamp,
                } if trash_id == id => Some(TrashRecord {
                    path: path.0,
                    expect: Expected::Stamp(stamp),
                }),
                _ => None,
            })
            .unwrap()
    }

    pub fn plan(&self) -> undo::UndoPlan {
        undo::plan(&self.changes(), &self.folders, &self.store)
    }

    pub fn undo(&self, force: bool) -> Result<undo::UndoReport, FileError> {
        undo::apply(&self.plan(), &self.folders, &self.store, force)
    }
}

/// One entry of a tree, for comparing whole trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File { hash: String, mode: u32 },
    Link(PathBuf),
}

/// Every entry under `root` (empty folders included), by raw relative path.
pub fn manifest(root: &Path) -> BTreeMap<Vec<u8>, Node> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<Vec<u8>, Node>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec();
        let meta = path.symlink_metadata().unwrap();
        if meta.file_type().is_symlink() {
            out.insert(rel, Node::Link(std::fs::read_link(&path).unwrap()));
        } else if meta.is_dir() {
            out.insert(rel, Node::Dir);
            walk(root, &path, out);
        } else {
            let hash = blake3::hash(&std::fs::read(&path).unwrap())
                .to_hex()
                .to_string();
            out.insert(
                rel,
                Node::File {
                    hash,
                    mode: meta.permissions().mode() & 0o7777,
                },
            );
        }
    }
}

/// A file name that is not UTF-8: `caf\xE9<suffix>`.
pub fn latin1(suffix: &str) -> OsString {
    let mut bytes = b"caf\xe9".to_vec();
    bytes.extend_from_slice(suffix.as_bytes());
    OsString::from_vec(bytes)
}

/// The tree under the folder equals `expected`; on failure, lists only the
/// differences.
#[track_caller]
pub fn assert_same_tree(w: &Work, expected: &BTreeMap<Vec<u8>, Node>) {
    let now = manifest(&w.root);
    if &now == expected {
        return;
    }
    let mut diffs = Vec::new();
    for (path, node) in expected {
        match now.get(path) {
            None => diffs.push(format!("missing {}", String::from_utf8_lossy(path))),
            Some(n) if n != node => diffs.push(format!(
                "differs {}: {n:?} (was {node:?})",
                String::from_utf8_lossy(path)
            )),
            Some(_) => {}
        }
    }
    for path in now.keys().filter(|p| !expected.contains_key(*p)) {
        diffs.push(format!("extra {}", String::from_utf8_lossy(path)));
    }
    panic!("the tree differs:\n{}", diffs.join("\n"));
}
