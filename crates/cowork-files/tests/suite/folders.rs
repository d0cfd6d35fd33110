//! Opening folders and mapping paths onto them.

use std::sync::Arc;

use cowork_files::{FileError, FileTools, Folders};
use cowork_protocol::FolderGrant;
use serde_json::json;

fn grant(path: &std::path::Path, read_only: bool) -> FolderGrant {
    FolderGrant {
        path: path.to_path_buf(),
        read_only,
    }
}

#[test]
fn a_missing_folder_cannot_be_connected() {
    let base = tempfile::tempdir().unwrap();
    let missing = base.path().join("missing");
    let err = Folders::open(&[grant(&missing, false)]).unwrap_err();
    assert!(matches!(err, FileError::FolderUnavailable { ref path, .. } if *path == missing));
}

#[test]
fn a_file_cannot_be_connected_as_a_folder() {
    let base = tempfile::tempdir().unwrap();
    let file = base.path().join("f.txt");
    std::fs::write(&file, "x").unwrap();
    let err = Folders::open(&[grant(&file, false)]).unwrap_err();
    assert!(
        matches!(err, FileError::FolderUnavailable { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Not a directory"), "{err}");
}

#[test]
fn without_folders_every_tool_says_how_to_connect_one() {
    let tools = FileTools::new(Arc::new(Folders::open(&[]).unwrap()));
    let err = tools.call("LS", &json!({})).unwrap_err();
    assert!(matches!(err, FileError::NoFolders));
    assert!(err.to_string().contains("--folder PATH"));
}

#[test]
fn relative_paths_go_to_the_first_folder_and_absolute_ones_to_their_folder() {
    let base = tempfile::tempdir().unwrap();
    let base_path = base.path().canonicalize().unwrap();
    let (one, two) = (base_path.join("one"), base_path.join("two"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(two.join("deep")).unwrap();
    std::fs::write(one.join("a.txt"), "from one").unwrap();
    std::fs::write(two.join("deep/b.txt"), "from two").unwrap();
    let folders = Folders::open(&[grant(&one, false), grant(&two, true)]).unwrap();
    assert_eq!(folders.grants()[1], grant(&two, true));

    let rel = folders.resolve("a.txt").unwrap();
    assert_eq!(rel.root(), one);
    assert!(!rel.read_only());
    let abs = folders
        .resolve(two.join("deep/b.txt").to_str().unwrap())
        .unwrap();
    assert_eq!(abs.root(), two);
    assert_eq!(abs.rel(), std::path::Path::new("deep/b.txt"));
    assert!(abs.read_only());

    let tools = FileTools::new(Arc::new(folders));
    let text = tools
        .call("Read", &json!({ "file_path": two.join("deep/b.txt") }))
        .unwrap();
    assert_eq!(text, "     1\tfrom two");
    // A sibling whose name only starts like a folder is not inside it.
    std::fs::create_dir_all(base_path.join("one-more")).unwrap();
    std::fs::write(base_path.join("one-more/c.txt"), "sibling").unwrap();
    let sibling = base_path.join("one-more/c.txt");
    let err = tools
        .call("Read", &json!({ "file_path": sibling }))
        .unwrap_err();
    assert!(matches!(err, FileError::OutsideFolders { .. }), "{err:?}");
}

#[test]
fn an_unknown_tool_lists_the_real_ones() {
    let base = tempfile::tempdir().unwrap();
    let tools = FileTools::new(Arc::new(
        Folders::open(&[grant(base.path(), false)]).unwrap(),
    ));
    let err = tools.call("Bash", &json!({})).unwrap_err();
    assert!(matches!(err, FileError::UnknownTool { .. }));
    let text = err.to_string();
    assert!(
        text.contains("Read, LS, Glob, Grep, Write, Edit, Move, Mkdir, Delete"),
        "{text}"
    );
}
