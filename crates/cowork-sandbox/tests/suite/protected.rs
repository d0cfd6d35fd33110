//! Protected paths (a folder's standing instructions and skills): a
//! command reads them but cannot write, delete, rename, replace or create
//! them, in a writable or a staged folder. Regression tests for the hole
//! where the permission engine asked before a tool changed `COWORK.md` but
//! a `Bash` command could still rewrite it.

use std::path::{Path, PathBuf};

use cowork_sandbox::{Mount, SandboxError, Stage};
use tempfile::{TempDir, tempdir};

use super::{err, out, sh};

/// The names that steer later tasks, as core passes them.
fn steering(folder: &Path) -> Vec<PathBuf> {
    ["COWORK.md", "CLAUDE.md", "AGENTS.md", ".claude/skills"]
        .iter()
        .map(|n| folder.join(n))
        .collect()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A folder with instructions and a skill, its real path.
fn instructed() -> (TempDir, PathBuf) {
    let dir = tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    write(&folder.join("COWORK.md"), "be kind\n");
    write(&folder.join("AGENTS.md"), "be brief\n");
    write(&folder.join(".claude/skills/report/SKILL.md"), "report\n");
    write(&folder.join(".claude/settings.json"), "{}\n");
    (dir, folder)
}

/// Every way a command tries to rewrite what exists; each must fail.
const ATTACKS: &str = "\
    echo evil > COWORK.md; echo evil >> AGENTS.md; rm -f AGENTS.md; \
    mv COWORK.md moved.md; ln -sf /tmp/x COWORK.md; \
    echo evil > .claude/skills/report/SKILL.md; rm -rf .claude/skills/report; \
    mkdir -p .claude/skills/evil; \
    mv .claude/skills .claude/old; mv .claude .claude-old; rm -rf .claude; \
    mkdir -p .claude/skills/evil2; \
    echo fine > notes.txt; cat COWORK.md";

fn assert_untouched(folder: &Path) {
    assert_eq!(read(&folder.join("COWORK.md")), "be kind\n");
    assert_eq!(read(&folder.join("AGENTS.md")), "be brief\n");
    assert_eq!(
        read(&folder.join(".claude/skills/report/SKILL.md")),
        "report\n"
    );
    let skills: Vec<_> = std::fs::read_dir(folder.join(".claude/skills"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(skills, ["report"]);
    assert!(!folder.join("moved.md").exists());
    assert!(!folder.join(".claude-old").exists());
}

#[test]
fn existing_instructions_and_skills_in_a_writable_folder_cannot_be_changed_moved_or_deleted() {
    let (_dir, folder) = instructed();
    let mut spec = sh(ATTACKS, &folder);
    spec.protected = steering(&folder)
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_eq!(out(&output), "be kind\n", "stderr: {}", err(&output));
    assert!(
        err(&output).contains("Read-only file system"),
        "{}",
        err(&output)
    );
    assert_untouched(&folder);
    // The rest of the folder stays writable, .claude's other files too.
    assert_eq!(read(&folder.join("notes.txt")), "fine\n");
    assert!(output.refused.is_empty(), "{:?}", output.refused);
}

#[test]
fn a_missing_protected_name_in_a_read_write_folder_is_refused_before_anything_runs() {
    let dir = tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    let mut spec = sh("echo evil > CLAUDE.md", &folder);
    spec.protected = steering(&folder);
    let error = cowork_sandbox::run(&spec).unwrap_err();
    assert!(
        matches!(&error, SandboxError::InvalidSpec { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("COWORK.md")
            && message.contains("does not exist")
            && message.contains("stage the folder"),
        "{message}"
    );
    assert!(!folder.join("CLAUDE.md").exists());
}

struct Staged {
    _stage: TempDir,
    upper: PathBuf,
    work: PathBuf,
}

fn staged() -> Staged {
    let stage = tempdir().unwrap();
    let upper = stage.path().join("upper");
    let work = stage.path().join("work");
    std::fs::create_dir(&upper).unwrap();
    std::fs::create_dir(&work).unwrap();
    Staged {
        _stage: stage,
        upper,
        work,
    }
}

fn run_staged(folder: &Path, stage: &Staged, script: &str) -> cowork_sandbox::Output {
    let mut spec = sh(script, folder);
    spec.mounts = vec![Mount::staged(
        folder,
        Stage {
            upper: stage.upper.clone(),
            work: stage.work.clone(),
        },
    )];
    spec.protected = steering(folder);
    cowork_sandbox::run(&spec).unwrap()
}

#[test]
fn in_a_staged_folder_existing_instructions_are_read_only_and_nothing_protected_is_staged() {
    let (_dir, folder) = instructed();
    let stage = staged();
    let output = run_staged(&folder, &stage, ATTACKS);
    assert_eq!(out(&output), "be kind\n", "stderr: {}", err(&output));
    assert!(
        err(&output).contains("Read-only file system"),
        "{}",
        err(&output)
    );
    assert_untouched(&folder);
    // What the stage will apply: the note, and nothing protected.
    assert_eq!(read(&stage.upper.join("notes.txt")), "fine\n");
    for name in ["COWORK.md", "AGENTS.md", "CLAUDE.md", ".claude/skills"] {
        assert!(
            std::fs::symlink_metadata(stage.upper.join(name)).is_err(),
            "{name} is staged"
        );
    }
    assert!(!stage.upper.join(".claude-old").exists());
}

#[test]
fn instructions_and_skills_a_command_creates_in_a_staged_folder_are_dropped_and_named() {
    let dir = tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    let stage = staged();
    let output = run_staged(
        &folder,
        &stage,
        "echo evil > COWORK.md && echo evil > CLAUDE.md && \
         mkdir -p .claude/skills/evil && echo evil > .claude/skills/evil/SKILL.md && \
         chmod 000 .claude/skills/evil && \
         echo fine > notes.txt && echo '{}' > .claude/settings.json && cat COWORK.md",
    );
    assert!(output.status.success(), "stderr: {}", err(&output));
    // The command saw its own writes; the stage no longer holds them.
    assert_eq!(out(&output), "evil\n");
    assert_eq!(
        output.refused,
        [
            folder.join(".claude/skills"),
            folder.join("CLAUDE.md"),
            folder.join("COWORK.md"),
        ]
    );
    assert!(!stage.upper.join("COWORK.md").exists());
    assert!(!stage.upper.join("CLAUDE.md").exists());
    assert!(!stage.upper.join(".claude/skills").exists());
    assert_eq!(read(&stage.upper.join("notes.txt")), "fine\n");
    assert_eq!(read(&stage.upper.join(".claude/settings.json")), "{}\n");
}

#[test]
fn a_directory_made_only_to_hold_a_dropped_skill_is_dropped_with_it() {
    let dir = tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    let stage = staged();
    let output = run_staged(
        &folder,
        &stage,
        "mkdir -p .claude/skills/evil && echo x > .claude/skills/evil/SKILL.md",
    );
    assert!(output.status.success(), "stderr: {}", err(&output));
    assert_eq!(output.refused, [folder.join(".claude/skills")]);
    assert!(!stage.upper.join(".claude").exists());
}

#[test]
fn instructions_behind_a_symlink_can_be_neither_written_through_nor_replaced() {
    let dir = tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    write(&folder.join("docs/instructions.md"), "be kind\n");
    std::os::unix::fs::symlink("docs/instructions.md", folder.join("COWORK.md")).unwrap();
    let stage = staged();
    let output = run_staged(
        &folder,
        &stage,
        "echo evil > COWORK.md; echo evil > docs/instructions.md; \
         rm COWORK.md && echo evil > COWORK.md; echo done",
    );
    assert_eq!(out(&output), "done\n", "stderr: {}", err(&output));
    assert!(
        err(&output).contains("Read-only file system"),
        "{}",
        err(&output)
    );
    assert_eq!(output.refused, [folder.join("COWORK.md")]);
    assert!(std::fs::symlink_metadata(stage.upper.join("COWORK.md")).is_err());
    assert!(!stage.upper.join("docs/instructions.md").exists());
    assert_eq!(read(&folder.join("COWORK.md")), "be kind\n");
}

#[test]
fn skills_behind_a_symlinked_parent_cannot_be_replaced_by_a_real_folder() {
    let dir = tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let folder = root.join("folder");
    let elsewhere = root.join("elsewhere");
    write(&elsewhere.join("skills/report/SKILL.md"), "report\n");
    std::fs::create_dir(&folder).unwrap();
    std::os::unix::fs::symlink(&elsewhere, folder.join(".claude")).unwrap();
    let stage = staged();
    let output = run_staged(
        &folder,
        &stage,
        "rm .claude && mkdir -p .claude/skills/evil && echo x > .claude/skills/evil/SKILL.md \
         && echo made",
    );
    assert_eq!(out(&output), "made\n", "stderr: {}", err(&output));
    // The directory that replaced the link goes, skills and all: the
    // folder keeps its link.
    assert_eq!(output.refused, [folder.join(".claude")]);
    assert!(std::fs::symlink_metadata(stage.upper.join(".claude")).is_err());
}

#[test]
fn skills_behind_a_symlinked_parent_in_a_read_write_folder_are_refused_before_anything_runs() {
    let dir = tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let folder = root.join("folder");
    std::fs::create_dir_all(root.join("elsewhere/skills")).unwrap();
    std::fs::create_dir(&folder).unwrap();
    std::os::unix::fs::symlink(root.join("elsewhere"), folder.join(".claude")).unwrap();
    let mut spec = sh("true", &folder);
    spec.protected = vec![folder.join(".claude/skills")];
    let error = cowork_sandbox::run(&spec).unwrap_err();
    assert!(error.to_string().contains("behind a symlink"), "{error}");
}
