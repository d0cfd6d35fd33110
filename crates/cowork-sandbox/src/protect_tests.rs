//! The second wall on its own: what a stage holds at or above a protected
//! path, in the shapes a mount keeps commands from making (the sandbox's
//! tests drive the first wall).

use super::*;

struct Case {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    upper: PathBuf,
}

fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let folder = root.join("folder");
    let upper = root.join("upper");
    std::fs::create_dir_all(folder.join(".claude/skills/report")).unwrap();
    std::fs::create_dir(&upper).unwrap();
    Case {
        _dir: dir,
        folder,
        upper,
    }
}

fn skills(case: &Case) -> Scrub {
    Scrub {
        folder: case.folder.clone(),
        upper: case.upper.clone(),
        rel: PathBuf::from(".claude/skills"),
    }
}

#[test]
fn a_file_staged_in_place_of_the_skills_parent_is_dropped_as_a_deletion_of_the_skills() {
    let case = case();
    std::fs::write(case.upper.join(".claude"), "not a folder").unwrap();
    let refused = scrub(&[skills(&case)]).unwrap();
    assert_eq!(refused, [case.folder.join(".claude")]);
    assert!(std::fs::symlink_metadata(case.upper.join(".claude")).is_err());
}

#[test]
fn an_opaque_skills_parent_loses_its_mark_and_keeps_the_command_s_other_files() {
    let case = case();
    let claude = case.upper.join(".claude");
    std::fs::create_dir(&claude).unwrap();
    std::fs::write(claude.join("settings.json"), "{}").unwrap();
    let path = CString::new(claude.as_os_str().as_bytes()).unwrap();
    // SAFETY: NUL-terminated strings and a live one-byte value.
    let set = unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            c"user.overlay.opaque".as_ptr(),
            b"y".as_ptr().cast(),
            1,
            0,
        )
    };
    if set < 0 {
        eprintln!(
            "note: this filesystem keeps no user.* attributes ({}); skipping",
            std::io::Error::last_os_error()
        );
        return;
    }
    assert!(is_opaque(&claude));
    let refused = scrub(&[skills(&case)]).unwrap();
    assert_eq!(refused, [case.folder.join(".claude")]);
    assert!(!is_opaque(&claude));
    assert!(claude.join("settings.json").is_file());
}

#[test]
fn nothing_staged_at_a_protected_path_refuses_nothing() {
    let case = case();
    std::fs::create_dir_all(case.upper.join(".claude")).unwrap();
    std::fs::write(case.upper.join(".claude/settings.json"), "{}").unwrap();
    std::fs::write(case.upper.join("notes.txt"), "x").unwrap();
    assert!(scrub(&[skills(&case)]).unwrap().is_empty());
    assert!(case.upper.join(".claude/settings.json").is_file());
}

#[test]
fn a_protected_name_is_taken_at_its_folder_s_real_place_without_following_itself() {
    let case = case();
    let link = case.folder.parent().unwrap().join("link");
    std::os::unix::fs::symlink(&case.folder, &link).unwrap();
    std::os::unix::fs::symlink("elsewhere.md", case.folder.join("COWORK.md")).unwrap();
    assert_eq!(
        named(&link.join("COWORK.md")).unwrap(),
        case.folder.join("COWORK.md")
    );
    assert_eq!(
        named(&link.join("missing/CLAUDE.md")).unwrap(),
        case.folder.join("missing/CLAUDE.md")
    );
    assert!(named(Path::new("COWORK.md")).is_err());
}
