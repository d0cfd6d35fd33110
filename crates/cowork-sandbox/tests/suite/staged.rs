//! Staged folders: the command sees its changes, the folder keeps none of
//! them, and the overlay upper directory holds exactly what changed.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use cowork_sandbox::{Mount, SandboxError, Stage};
use tempfile::{TempDir, tempdir};

use super::{err, out, sh};

struct Staged {
    folder: TempDir,
    stage: TempDir,
}

impl Staged {
    fn new() -> Self {
        let staged = Self {
            folder: tempdir().unwrap(),
            stage: tempdir().unwrap(),
        };
        std::fs::create_dir(staged.upper()).unwrap();
        std::fs::create_dir(staged.stage.path().join("work")).unwrap();
        staged
    }

    fn upper(&self) -> std::path::PathBuf {
        self.stage.path().join("upper")
    }

    fn stage(&self) -> Stage {
        Stage {
            upper: self.upper(),
            work: self.stage.path().join("work"),
        }
    }

    fn run(&self, folder: &Path, script: &str) -> cowork_sandbox::Output {
        let mut spec = sh(script, folder);
        spec.mounts = vec![Mount::staged(folder, self.stage())];
        cowork_sandbox::run(&spec).unwrap()
    }
}

#[test]
fn changes_land_in_the_upper_directory_and_not_in_the_folder() {
    let s = Staged::new();
    let folder = s.folder.path();
    std::fs::write(folder.join("keep.txt"), "old\n").unwrap();
    std::fs::write(folder.join("gone.txt"), "bye\n").unwrap();
    std::fs::create_dir(folder.join("sub")).unwrap();
    std::fs::write(folder.join("sub/inner.txt"), "in\n").unwrap();

    let output = s.run(
        folder,
        "echo new >> keep.txt && rm gone.txt && echo made > made.txt && \
         rm -r sub && mkdir sub && echo fresh > sub/fresh.txt && \
         cat keep.txt made.txt && ls sub",
    );
    assert!(output.status.success(), "stderr: {}", err(&output));
    assert_eq!(out(&output), "old\nnew\nmade\nfresh.txt\n");

    // The folder is as it was.
    assert_eq!(
        std::fs::read_to_string(folder.join("keep.txt")).unwrap(),
        "old\n"
    );
    assert!(folder.join("gone.txt").exists());
    assert!(!folder.join("made.txt").exists());
    assert!(folder.join("sub/inner.txt").exists());

    // The upper directory says what changed.
    let upper = s.upper();
    assert_eq!(
        std::fs::read_to_string(upper.join("keep.txt")).unwrap(),
        "old\nnew\n"
    );
    assert_eq!(
        std::fs::read_to_string(upper.join("made.txt")).unwrap(),
        "made\n"
    );
    let whiteout = std::fs::symlink_metadata(upper.join("gone.txt")).unwrap();
    assert!(whiteout.file_type().is_char_device(), "{whiteout:?}");
    assert!(upper.join("sub/fresh.txt").exists());
    assert!(!upper.join("sub/inner.txt").exists());
}

#[test]
fn a_folder_whose_name_has_commas_and_colons_can_be_staged() {
    let s = Staged::new();
    let folder = s.folder.path().join("Smith, J: 2024\\notes");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "a\n").unwrap();
    let output = s.run(&folder, "cat a.txt && echo b > b.txt && pwd");
    assert!(output.status.success(), "stderr: {}", err(&output));
    assert_eq!(out(&output), format!("a\n{}\n", folder.display()));
    assert!(s.upper().join("b.txt").exists());
    assert!(!folder.join("b.txt").exists());
}

#[test]
fn a_stage_inside_its_own_folder_is_refused_before_anything_runs() {
    let folder = tempdir().unwrap();
    std::fs::create_dir_all(folder.path().join(".stage/upper")).unwrap();
    std::fs::create_dir_all(folder.path().join(".stage/work")).unwrap();
    let mut spec = sh("true", folder.path());
    spec.mounts = vec![Mount::staged(
        folder.path(),
        Stage {
            upper: folder.path().join(".stage/upper"),
            work: folder.path().join(".stage/work"),
        },
    )];
    let error = cowork_sandbox::run(&spec).unwrap_err();
    assert!(
        matches!(&error, SandboxError::InvalidSpec { reason, .. } if reason.contains("overlaps")),
        "{error}"
    );
}

#[test]
fn a_missing_stage_directory_is_named_in_the_error() {
    let folder = tempdir().unwrap();
    let mut spec = sh("true", folder.path());
    spec.mounts = vec![Mount::staged(
        folder.path(),
        Stage {
            upper: folder.path().join("../no-such-upper"),
            work: folder.path().join("../no-such-work"),
        },
    )];
    let error = cowork_sandbox::run(&spec).unwrap_err().to_string();
    assert!(error.contains("no-such-upper"), "{error}");
}

#[test]
fn landlock_lets_a_staged_folder_be_written_but_nothing_beside_it() {
    let s = Staged::new();
    let folder = s.folder.path();
    let output = s.run(
        folder,
        "echo x > inside.txt && echo ok; touch /etc/x 2>/dev/null || echo etc-refused",
    );
    assert_eq!(
        out(&output),
        "ok\netc-refused\n",
        "stderr: {}",
        err(&output)
    );
}
