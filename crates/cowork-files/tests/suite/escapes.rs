//! Every way out of the folder is refused, and nothing outside is shown.

use std::sync::Arc;

use cowork_files::{FileError, FileTools, Folders};
use cowork_protocol::FolderGrant;
use serde_json::json;

use super::{Fixture, SECRET};

/// The call must fail as outside the folders, revealing nothing.
#[track_caller]
fn assert_refused(result: Result<String, FileError>) {
    match result {
        Err(FileError::OutsideFolders { .. }) => {}
        Err(other) => panic!("expected OutsideFolders, got {other:?}"),
        Ok(text) => panic!("escape succeeded: {text}"),
    }
}

fn read(fx: &Fixture, path: &str) -> Result<String, FileError> {
    fx.call("Read", json!({ "file_path": path }))
}

#[test]
fn parent_directory_path_is_refused() {
    let fx = Fixture::new();
    assert_refused(read(&fx, "../outside.txt"));
}

#[test]
fn parent_directory_after_a_subdirectory_is_refused() {
    let fx = Fixture::new();
    fx.write("sub/a.txt", "inside");
    assert_refused(read(&fx, "sub/../../outside.txt"));
}

#[test]
fn absolute_path_of_a_file_outside_is_refused() {
    let fx = Fixture::new();
    let outside = fx.outside().join("outside.txt");
    assert_refused(read(&fx, outside.to_str().unwrap()));
}

#[test]
fn symlink_to_outside_file_is_refused() {
    let fx = Fixture::new();
    fx.symlink(fx.outside().join("outside.txt"), "abs_link");
    fx.symlink("../outside.txt", "rel_link");
    assert_refused(read(&fx, "abs_link"));
    assert_refused(read(&fx, "rel_link"));
}

#[test]
fn symlink_to_outside_directory_then_a_file_below_it_is_refused() {
    let fx = Fixture::new();
    fx.symlink(fx.outside().join("outside_dir"), "out_dir");
    assert_refused(read(&fx, "out_dir/secret.txt"));
    assert_refused(fx.call("LS", json!({ "path": "out_dir" })));
}

#[test]
fn symlink_to_the_filesystem_root_is_refused() {
    let fx = Fixture::new();
    fx.symlink("/", "slash");
    let through = format!("slash{}", fx.outside().join("outside.txt").display());
    assert_refused(read(&fx, &through));
    assert_refused(read(&fx, "slash/etc/passwd"));
    assert_refused(fx.call("LS", json!({ "path": "slash" })));
}

#[test]
fn proc_self_root_path_is_refused() {
    let fx = Fixture::new();
    let via_proc = format!(
        "/proc/self/root{}",
        fx.outside().join("outside.txt").display()
    );
    assert_refused(read(&fx, &via_proc));
    fx.symlink("/proc/self/root", "proc_root");
    let via_link = format!("proc_root{}", fx.outside().join("outside.txt").display());
    assert_refused(read(&fx, &via_link));
}

#[test]
fn magic_link_through_proc_self_fd_is_refused() {
    let fx = Fixture::new();
    let held = std::fs::File::open(fx.outside().join("outside.txt")).unwrap();
    use std::os::fd::AsRawFd;
    fx.symlink(format!("/proc/self/fd/{}", held.as_raw_fd()), "fd_link");
    assert_refused(read(&fx, "fd_link"));
}

#[test]
fn absolute_path_through_a_symlink_inside_the_folder_is_refused() {
    let fx = Fixture::new();
    fx.symlink(fx.outside().join("outside_dir"), "out_dir");
    let path = fx.root.join("out_dir/secret.txt");
    assert_refused(read(&fx, path.to_str().unwrap()));
}

#[test]
fn absolute_path_through_a_symlinked_root_cannot_climb_out() {
    let fx = Fixture::new();
    fx.write("notes.md", "inside notes");
    let alias = fx.outside().join("alias");
    std::os::unix::fs::symlink(&fx.root, &alias).unwrap();
    let folders = Folders::open(&[FolderGrant {
        path: alias.clone(),
        read_only: true,
    }])
    .unwrap();
    // The grant is recorded canonically...
    assert_eq!(folders.grants()[0].path, fx.root);
    let tools = FileTools::new(Arc::new(folders));
    // ...yet a path spelled through the alias still maps to the folder,
    let inside = alias.join("notes.md");
    let text = tools.call("Read", &json!({ "file_path": inside })).unwrap();
    assert!(text.contains("inside notes"), "{text}");
    // and `..` after it is judged from the real folder, not the alias.
    let climb = format!("{}/../outside.txt", alias.display());
    assert_refused(tools.call("Read", &json!({ "file_path": climb })));
    let climb_twice = format!("{}/../../outside.txt", alias.display());
    assert_refused(tools.call("Read", &json!({ "file_path": climb_twice })));
}

#[test]
fn absolute_path_through_an_unrelated_symlink_to_the_folder_is_refused() {
    let fx = Fixture::new();
    fx.write("notes.md", "inside notes");
    let other = fx.outside().join("other_name");
    std::os::unix::fs::symlink(&fx.root, &other).unwrap();
    // Not how the folder was granted: outside, even though it leads inside.
    assert_refused(read(&fx, other.join("notes.md").to_str().unwrap()));
}

#[test]
fn refusal_message_names_the_path_and_the_folder_and_what_to_do() {
    let fx = Fixture::new();
    let err = read(&fx, "../outside.txt").unwrap_err().to_string();
    let folder = fx.root.display().to_string();
    assert!(
        err.contains("`../outside.txt` is outside the connected folders"),
        "{err}"
    );
    assert!(err.contains(&format!("({folder})")), "{err}");
    assert!(err.contains(&format!("relative to {folder}")), "{err}");
    assert!(!err.contains(SECRET));
}

#[test]
fn ls_of_the_parent_directory_is_refused() {
    let fx = Fixture::new();
    assert_refused(fx.call("LS", json!({ "path": ".." })));
    assert_refused(fx.call("LS", json!({ "path": "/" })));
}

#[test]
fn grep_and_glob_with_an_outside_path_are_refused() {
    let fx = Fixture::new();
    fx.symlink(fx.outside().join("outside_dir"), "out_dir");
    fx.symlink(fx.outside().join("outside.txt"), "out_file");
    for path in ["..", "out_dir", "out_file", "/"] {
        assert_refused(fx.call("Grep", json!({ "pattern": "SECRET", "path": path })));
        assert_refused(fx.call("Glob", json!({ "pattern": "**/*", "path": path })));
    }
}

#[test]
fn grep_and_glob_over_a_folder_with_outward_symlinks_report_nothing_outside() {
    let fx = Fixture::new();
    fx.write("inside.txt", "nothing to see");
    fx.symlink(fx.outside().join("outside_dir"), "out_dir");
    fx.symlink(fx.outside().join("outside.txt"), "out_file.txt");
    fx.symlink("/", "slash");
    for mode in ["files_with_matches", "content", "count"] {
        let text = fx.ok("Grep", json!({ "pattern": "SECRET", "output_mode": mode }));
        assert!(text.starts_with("No matches"), "{mode}: {text}");
    }
    let text = fx.ok("Grep", json!({ "pattern": ".", "output_mode": "content" }));
    assert!(!text.contains(SECRET), "{text}");
    let text = fx.ok("Glob", json!({ "pattern": "**/*" }));
    assert_eq!(text, "inside.txt");
}
