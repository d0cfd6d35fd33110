//! Reading the layers: order, trust, the caps, decoding, and files that
//! must not be read (links out of the folder, hidden ones, fifos).

use std::path::{Path, PathBuf};

use cowork_protocol::FolderGrant;

use super::*;

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    Env { _dir: dir, root }
}

impl Env {
    fn folder(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let path = self.root.join(name);
        std::fs::create_dir_all(&path).unwrap();
        for (file, text) in files {
            std::fs::write(path.join(file), text).unwrap();
        }
        path
    }
}

fn open(folders: &[&Path]) -> Folders {
    let grants: Vec<FolderGrant> = folders
        .iter()
        .map(|p| FolderGrant {
            path: p.to_path_buf(),
            read_only: false,
        })
        .collect();
    Folders::open(&grants).unwrap()
}

fn load_with(
    global: Option<&Path>,
    project: Option<&ProjectInstructions>,
    folders: &[&Path],
    trusted: &[PathBuf],
) -> Instructions {
    let opened = open(folders);
    load(&Layers {
        global,
        project,
        folders: &opened,
        task_folders: folders.len(),
        trusted,
    })
}

fn summary(read: &Instructions) -> Vec<(InstructionLayer, String, bool, String)> {
    read.sources
        .iter()
        .map(|s| (s.layer, s.label.clone(), s.trusted, s.text.clone()))
        .collect()
}

#[test]
fn layers_come_global_then_project_then_each_folders_files_in_order() {
    let env = env();
    let global = env.root.join("config/COWORK.md");
    env.folder("config", &[("COWORK.md", "G")]);
    let a = env.folder("a", &[("AGENTS.md", "A3"), ("COWORK.md", "A1")]);
    let b = env.folder("b", &[("CLAUDE.md", "B2")]);
    let project = ProjectInstructions {
        name: "Acme".into(),
        text: "P".into(),
    };
    let read = load_with(
        Some(&global),
        Some(&project),
        &[&b, &a],
        std::slice::from_ref(&a),
    );
    let path = |p: &Path, f: &str| p.join(f).display().to_string();
    assert_eq!(
        summary(&read),
        vec![
            (
                InstructionLayer::Global,
                global.display().to_string(),
                true,
                "G".into()
            ),
            (InstructionLayer::Project, "Acme".into(), true, "P".into()),
            (
                InstructionLayer::Folder,
                path(&b, "CLAUDE.md"),
                false,
                "B2".into()
            ),
            (
                InstructionLayer::Folder,
                path(&a, "COWORK.md"),
                true,
                "A1".into()
            ),
            (
                InstructionLayer::Folder,
                path(&a, "AGENTS.md"),
                true,
                "A3".into()
            ),
        ]
    );
    assert!(read.notices.is_empty(), "{:?}", read.notices);
}

#[test]
fn a_folder_trusted_through_a_symlinked_spelling_is_trusted() {
    let env = env();
    let a = env.folder("a", &[("COWORK.md", "A")]);
    let link = env.root.join("link");
    std::os::unix::fs::symlink(&a, &link).unwrap();
    let read = load_with(None, None, &[&a], &[link]);
    assert!(read.sources[0].trusted);
}

#[test]
fn no_file_and_no_global_mean_no_sources_and_no_notice() {
    let env = env();
    let a = env.folder("a", &[("README.md", "not instructions")]);
    let read = load_with(Some(&env.root.join("config/COWORK.md")), None, &[&a], &[]);
    assert_eq!(read, Instructions::default());
}

#[test]
fn a_cowork_md_linking_out_of_its_folder_is_refused_with_a_notice() {
    let env = env();
    let outside = env.folder("outside", &[("secret.md", "obey me")]);
    let a = env.folder("a", &[]);
    std::os::unix::fs::symlink(outside.join("secret.md"), a.join("COWORK.md")).unwrap();
    // Relative, through `..`: refused the same way.
    std::os::unix::fs::symlink("../outside/secret.md", a.join("AGENTS.md")).unwrap();
    let read = load_with(None, None, &[&a], std::slice::from_ref(&a));
    assert!(read.sources.is_empty(), "{:?}", read.sources);
    assert_eq!(read.notices.len(), 2, "{:?}", read.notices);
    assert!(read.notices[0].contains("COWORK.md"), "{:?}", read.notices);
    assert!(
        read.notices[0].contains("outside its folder"),
        "{:?}",
        read.notices
    );
}

#[test]
fn a_link_to_a_file_inside_the_folder_is_read() {
    let env = env();
    let a = env.folder("a", &[]);
    std::fs::create_dir(a.join("docs")).unwrap();
    std::fs::write(a.join("docs/rules.md"), "use metric units").unwrap();
    std::os::unix::fs::symlink("docs/rules.md", a.join("CLAUDE.md")).unwrap();
    let read = load_with(None, None, &[&a], &[]);
    assert_eq!(read.sources[0].text, "use metric units");
}

#[test]
fn a_file_a_deny_rule_hides_is_not_read() {
    let env = env();
    let a = env.folder("a", &[("AGENTS.md", "hidden")]);
    let opened = open(&[&a])
        .with_hidden(&["**/AGENTS.md".to_owned()])
        .unwrap();
    let read = load(&Layers {
        global: None,
        project: None,
        folders: &opened,
        task_folders: 1,
        trusted: &[],
    });
    assert_eq!(read, Instructions::default());
}

#[test]
fn a_fifo_named_cowork_md_neither_blocks_nor_is_read() {
    let env = env();
    let a = env.folder("a", &[]);
    let made = std::process::Command::new("mkfifo")
        .arg(a.join("COWORK.md"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let read = load_with(Some(&a.join("COWORK.md")), None, &[&a], &[]);
    assert!(read.sources.is_empty());
    assert_eq!(read.notices.len(), 2, "{:?}", read.notices);
    assert!(
        read.notices
            .iter()
            .all(|n| n.contains("not a regular file"))
    );
}

#[test]
fn a_file_over_the_cap_is_cut_and_says_so() {
    let env = env();
    let big = "x".repeat(MAX_INSTRUCTION_BYTES + 100);
    let a = env.folder("a", &[("COWORK.md", &big)]);
    let read = load_with(None, None, &[&a], &[]);
    let source = &read.sources[0];
    assert!(source.truncated);
    assert_eq!(source.bytes, (MAX_INSTRUCTION_BYTES + 100) as u64);
    assert_eq!(source.text.len(), MAX_INSTRUCTION_BYTES);
    assert!(
        read.notices[0].contains("only its first"),
        "{:?}",
        read.notices
    );
}

#[test]
fn all_layers_together_stay_within_the_total_cap() {
    let env = env();
    let full = "y".repeat(MAX_INSTRUCTION_BYTES);
    let files = [
        ("COWORK.md", full.as_str()),
        ("CLAUDE.md", &full),
        ("AGENTS.md", &full),
    ];
    let a = env.folder("a", &files);
    let b = env.folder("b", &files);
    let read = load_with(None, None, &[&a, &b], &[]);
    let total: usize = read.sources.iter().map(|s| s.text.len()).sum();
    assert_eq!(total, MAX_TOTAL_INSTRUCTION_BYTES);
    assert!(read.sources.iter().skip(4).all(|s| s.truncated));
}

#[test]
fn a_cut_through_a_character_drops_it_whole_without_calling_the_file_damaged() {
    // "é" is two bytes; a cap of 3 falls inside the second one.
    let read = Read::from_bytes("aéé".as_bytes(), 4);
    assert_eq!(read.text, "aé");
    assert!(read.truncated);
    assert!(!read.lossy);
}

#[test]
fn bytes_that_are_not_utf8_are_replaced_with_a_notice() {
    let env = env();
    let a = env.folder("a", &[]);
    std::fs::write(a.join("COWORK.md"), b"caf\xe9 rules").unwrap();
    let read = load_with(None, None, &[&a], &[]);
    assert_eq!(read.sources[0].text, "caf\u{FFFD} rules");
    assert!(!read.sources[0].truncated);
    assert!(
        read.notices[0].contains("not valid UTF-8"),
        "{:?}",
        read.notices
    );
}

#[test]
fn the_same_folder_connected_twice_is_read_once() {
    let env = env();
    let a = env.folder("a", &[("COWORK.md", "A")]);
    let read = load_with(None, None, &[&a, &a], &[]);
    assert_eq!(read.sources.len(), 1);
}
