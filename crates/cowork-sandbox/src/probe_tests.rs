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
