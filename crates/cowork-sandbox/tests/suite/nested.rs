//! The most specific grant wins, and cowork's own state stays hidden:
//! a read-only folder inside a writable or staged one stays read-only, and
//! a hidden path inside (or above) a mounted folder shows nothing and takes
//! nothing, whatever mount it sits in.

use std::path::{Path, PathBuf};

use cowork_sandbox::{Mount, Stage};
use tempfile::{TempDir, tempdir};

use super::{err, out, sh};

/// An empty overlay upper and work directory pair, outside any folder.
fn stage_dirs() -> (TempDir, Stage) {
    let dir = tempdir().unwrap();
    std::fs::create_dir(dir.path().join("upper")).unwrap();
    std::fs::create_dir(dir.path().join("work")).unwrap();
    let stage = Stage {
        upper: dir.path().join("upper"),
        work: dir.path().join("work"),
    };
    (dir, stage)
}

fn folder_with_sub() -> (TempDir, PathBuf) {
    let folder = tempdir().unwrap();
    let sub = folder.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("kept.txt"), "original\n").unwrap();
    (folder, sub)
}

const WRITE_SUB: &str = "echo changed > sub/kept.txt; echo new > sub/new.txt; \
                         rm -f sub/kept.txt; mkdir sub/dir; echo done";

fn assert_sub_untouched(sub: &Path, stderr: &str) {
    assert_eq!(
        std::fs::read_to_string(sub.join("kept.txt")).unwrap(),
        "original\n"
    );
    assert!(!sub.join("new.txt").exists() && !sub.join("dir").exists());
    assert!(stderr.contains("Read-only file system"), "{stderr}");
}

#[test]
fn a_read_only_grant_inside_a_writable_one_stays_read_only() {
    // Regression: `--folder x --folder x/sub:ro` left x/sub writable when
    // the writable mount of x was applied over the read-only one.
    let (folder, sub) = folder_with_sub();
    for mounts in [
        vec![Mount::writable(folder.path()), Mount::read_only(&sub)],
        // Order of the grants must not matter.
        vec![Mount::read_only(&sub), Mount::writable(folder.path())],
    ] {
        let mut spec = sh(&format!("{WRITE_SUB}; echo ok > top.txt"), folder.path());
        spec.mounts = mounts;
        let output = cowork_sandbox::run(&spec).unwrap();
        assert_sub_untouched(&sub, &err(&output));
        // The rest of the writable folder stays writable.
        assert_eq!(
            std::fs::read_to_string(folder.path().join("top.txt")).unwrap(),
            "ok\n"
        );
        std::fs::remove_file(folder.path().join("top.txt")).unwrap();
    }
}

#[test]
fn a_read_only_grant_inside_a_staged_one_keeps_writes_out_of_the_upper_dir() {
    let (folder, sub) = folder_with_sub();
    let (_stage_dir, stage) = stage_dirs();
    let mut spec = sh(WRITE_SUB, folder.path());
    spec.mounts = vec![
        Mount::read_only(&sub),
        Mount::staged(folder.path(), stage.clone()),
    ];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_sub_untouched(&sub, &err(&output));
    let upper: Vec<_> = walk(&stage.upper);
    assert!(upper.is_empty(), "writes reached the stage: {upper:?}");
}

#[test]
fn a_writable_grant_inside_a_read_only_one_is_writable() {
    let (folder, sub) = folder_with_sub();
    let mut spec = sh("echo new > sub/new.txt && echo no > top.txt", folder.path());
    spec.mounts = vec![Mount::read_only(folder.path()), Mount::writable(&sub)];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(sub.join("new.txt").exists(), "{}", err(&output));
    assert!(!folder.path().join("top.txt").exists());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        found.push(entry.path());
        if entry.file_type().unwrap().is_dir() {
            found.extend(walk(&entry.path()));
        }
    }
    found
}

/// A fake home holding cowork's data and config dirs.
struct Home {
    home: TempDir,
}

impl Home {
    fn new() -> Self {
        let home = Self {
            home: tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.data()).unwrap();
        std::fs::write(home.data().join("cowork.db"), "secret tasks\n").unwrap();
        std::fs::create_dir_all(home.config()).unwrap();
        std::fs::write(home.config().join("config.toml"), "[sandbox]\n").unwrap();
        std::fs::write(home.home.path().join("notes.txt"), "mine\n").unwrap();
        home
    }
    fn path(&self) -> &Path {
        self.home.path()
    }
    fn data(&self) -> PathBuf {
        self.path().join(".local/share/cowork")
    }
    fn config(&self) -> PathBuf {
        self.path().join(".config/cowork")
    }
}

const PEEK: &str = "cat notes.txt; ls -A .local/share/cowork .config/cowork; \
                    cat .local/share/cowork/cowork.db; \
                    echo planted > .local/share/cowork/cowork.db; \
                    echo planted > .config/cowork/config.toml; \
                    echo planted > .local/share/cowork/new; true";

fn assert_hidden(home: &Home, output: &cowork_sandbox::Output) {
    let stdout = out(output);
    assert!(
        stdout.contains("mine"),
        "the folder itself is visible: {stdout}"
    );
    assert!(
        !stdout.contains("secret") && !stdout.contains("cowork.db"),
        "{stdout}"
    );
    assert!(!stdout.contains("config.toml"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(home.data().join("cowork.db")).unwrap(),
        "secret tasks\n"
    );
    assert_eq!(
        std::fs::read_to_string(home.config().join("config.toml")).unwrap(),
        "[sandbox]\n"
    );
    assert!(!home.data().join("new").exists());
}

#[test]
fn cowork_state_inside_a_writable_folder_is_invisible_and_unwritable() {
    // Regression: with `--folder ~`, commands could read cowork.db and the
    // journal and rewrite config.toml.
    let home = Home::new();
    let mut spec = sh(PEEK, home.path());
    spec.hidden = vec![home.data(), home.config()];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_hidden(&home, &output);
}

#[test]
fn cowork_state_inside_a_staged_folder_is_invisible_and_never_staged() {
    let home = Home::new();
    let (_stage_dir, stage) = stage_dirs();
    let mut spec = sh(PEEK, home.path());
    spec.mounts = vec![Mount::staged(home.path(), stage.clone())];
    spec.hidden = vec![home.data(), home.config()];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_hidden(&home, &output);
    let staged = walk(&stage.upper);
    assert!(
        staged
            .iter()
            .all(|p| !p.to_string_lossy().contains("cowork")),
        "{staged:?}"
    );
}

#[test]
fn cowork_state_under_a_read_only_grant_nested_in_the_folder_stays_hidden() {
    let home = Home::new();
    let mut spec = sh(PEEK, home.path());
    spec.mounts = vec![
        Mount::writable(home.path()),
        Mount::read_only(home.path().join(".local")),
        Mount::writable(home.data()),
    ];
    spec.hidden = vec![home.data(), home.config()];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_hidden(&home, &output);
}

#[test]
fn a_missing_data_dir_inside_a_folder_cannot_be_created_by_the_command() {
    let home = tempdir().unwrap();
    let data = home.path().join("state/cowork");
    let mut spec = sh(
        "mkdir -p state/cowork && echo x > state/cowork/cowork.db",
        home.path(),
    );
    spec.hidden = vec![data.clone()];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(!output.status.success());
    assert!(!data.join("cowork.db").exists(), "{}", err(&output));
}

#[test]
fn hidden_paths_outside_every_folder_are_left_alone() {
    let folder = tempdir().unwrap();
    let elsewhere = tempdir().unwrap();
    let missing = elsewhere.path().join("never-created");
    let mut spec = sh("echo ok", folder.path());
    spec.hidden = vec![missing.clone()];
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_eq!(out(&output), "ok\n");
    assert!(!missing.exists());
}
