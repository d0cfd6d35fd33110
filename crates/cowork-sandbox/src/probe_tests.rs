use super::*;

fn host() -> Vec<String> {
    [
        "user:[1]", "mnt:[2]", "pid:[3]", "net:[4]", "ipc:[5]", "uts:[6]",
    ]
    .map(String::from)
    .to_vec()
}

const INSIDE: &str = "user:[11]\nmnt:[12]\npid:[13]\nnet:[14]\nipc:[15]\nuts:[16]\n--status\nName:\tcat\n\
NoNewPrivs:\t1\nSeccomp:\t2\n--uid_map\n         0          0          1\n--net\n\
Inter-|   Receive\n face |bytes\n    lo: 0 0\n--pids\n1\n2\n3\nself\n";

#[test]
fn a_fully_isolated_probe_reports_every_layer() {
    let layers = parse(INSIDE, &host());
    assert!(layers.user_ns && layers.mount_ns && layers.pid_ns && layers.net_ns);
    assert!(layers.ipc_ns && layers.uts_ns && layers.seccomp && layers.no_new_privs);
}

#[test]
fn a_shared_namespace_or_extra_interface_is_not_reported_as_isolated() {
    let shared = INSIDE
        .replace("net:[14]", "net:[4]")
        .replace("Seccomp:\t2", "Seccomp:\t0");
    let layers = parse(&shared, &host());
    assert!(!layers.net_ns);
    assert!(!layers.seccomp);
    let eth = INSIDE.replace("    lo: 0 0", "    lo: 0 0\n  eth0: 1 2");
    assert!(!parse(&eth, &host()).net_ns);
    let full_map = INSIDE.replace("0          0          1", "0 0 4294967295");
    assert!(!parse(&full_map, &host()).user_ns);
}

fn sysctls(values: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn ubuntus_apparmor_restriction_is_named_with_a_profile_for_cowork_alone() {
    let sysctl = sysctls(&[("kernel/apparmor_restrict_unprivileged_userns", "1")]);
    let error = std::io::Error::from_raw_os_error(libc::EPERM);
    let (cause, fix) = diagnose(&sysctl, &error, "/opt/cowork/bin/cowork");
    assert!(
        cause.contains("apparmor_restrict_unprivileged_userns=1"),
        "{cause}"
    );
    assert!(
        fix.contains("profile cowork /opt/cowork/bin/cowork"),
        "{fix}"
    );
    assert!(fix.contains("userns,"), "{fix}");
    assert!(
        fix.contains("apparmor_parser -r /etc/apparmor.d/cowork"),
        "{fix}"
    );
    assert!(fix.contains("--sandbox none"), "{fix}");
}

#[test]
fn other_kernel_switches_are_named_too() {
    let error = std::io::Error::from_raw_os_error(libc::EPERM);
    let (cause, fix) = diagnose(
        &sysctls(&[("kernel/unprivileged_userns_clone", "0")]),
        &error,
        "cowork",
    );
    assert!(cause.contains("unprivileged_userns_clone=0"), "{cause}");
    assert!(
        fix.contains("sysctl -w kernel.unprivileged_userns_clone=1"),
        "{fix}"
    );
    let (cause, _) = diagnose(
        &sysctls(&[("user/max_user_namespaces", "0")]),
        &error,
        "cowork",
    );
    assert!(cause.contains("max_user_namespaces=0"), "{cause}");
    let (cause, fix) = diagnose(&sysctls(&[]), &error, "cowork");
    assert!(cause.contains("Operation not permitted"), "{cause}");
    assert!(fix.contains("container"), "{fix}");
}
