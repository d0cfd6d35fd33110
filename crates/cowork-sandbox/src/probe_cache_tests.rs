use std::cell::Cell;

use super::*;

fn ready() -> Availability {
    Availability::Ready(Layers {
        user_ns: true,
        mount_ns: true,
        pid_ns: true,
        net_ns: true,
        ipc_ns: true,
        uts_ns: true,
        seccomp: true,
        landlock: Some(6),
        no_new_privs: true,
        cgroup: false,
    })
}

fn unavailable() -> Availability {
    Availability::Unavailable {
        cause: "no namespaces".to_owned(),
        fix: "enable them".to_owned(),
    }
}

#[test]
fn a_ready_result_is_reused_while_the_key_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let probes = Cell::new(0);
    let probe = || {
        probes.set(probes.get() + 1);
        ready()
    };
    assert_eq!(cached_with(dir.path(), "boot=a", probe), ready());
    assert_eq!(cached_with(dir.path(), "boot=a", probe), ready());
    assert_eq!(probes.get(), 1, "the second call must come from the cache");
}

#[test]
fn the_probe_cache_is_invalidated_when_its_key_changes() {
    let dir = tempfile::tempdir().unwrap();
    let probes = Cell::new(0);
    let probe = || {
        probes.set(probes.get() + 1);
        ready()
    };
    cached_with(dir.path(), "boot=a kernel=6.1", probe);
    // A reboot, a new kernel or a rebuilt binary changes the key.
    cached_with(dir.path(), "boot=b kernel=6.1", probe);
    assert_eq!(probes.get(), 2);
    // ... and the new key is the one remembered now.
    cached_with(dir.path(), "boot=b kernel=6.1", probe);
    assert_eq!(probes.get(), 2);
}

#[test]
fn an_unavailable_sandbox_is_probed_again_every_time_so_a_fix_takes_effect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let probes = Cell::new(0);
    let broken = || {
        probes.set(probes.get() + 1);
        unavailable()
    };
    assert_eq!(cached_with(dir.path(), "k", broken), unavailable());
    assert_eq!(cached_with(dir.path(), "k", broken), unavailable());
    assert_eq!(probes.get(), 2);
    // The admin fixed it: the very next call sees it.
    assert_eq!(cached_with(dir.path(), "k", ready), ready());
}

#[test]
fn an_unavailable_result_replaces_a_remembered_ready_one() {
    let dir = tempfile::tempdir().unwrap();
    cached_with(dir.path(), "k", ready);
    forget(dir.path());
    assert_eq!(cached_with(dir.path(), "k", unavailable), unavailable());
    assert!(!dir.path().join(FILE).exists());
}

#[test]
fn a_truncated_or_foreign_cache_file_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let Availability::Ready(layers) = ready() else {
        unreachable!()
    };
    let full = encode("k", &layers);
    let cut: String = full.lines().take(5).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join(FILE), cut).unwrap();
    let probes = Cell::new(0);
    let probe = || {
        probes.set(probes.get() + 1);
        ready()
    };
    cached_with(dir.path(), "k", probe);
    assert_eq!(probes.get(), 1);
    assert_eq!(decode(&full, "k"), Some(layers));
    assert_eq!(decode("garbage\n", "k"), None);
}

#[test]
fn the_real_key_names_the_boot_the_kernel_and_the_binary() {
    let key = current_key().unwrap();
    assert!(key.contains("boot=") && key.contains("kernel=") && key.contains("exe="));
    assert!(
        key.contains("userns=user:[") && key.contains("seccomp="),
        "{key}"
    );
    assert!(!key.contains('\n'));
}
