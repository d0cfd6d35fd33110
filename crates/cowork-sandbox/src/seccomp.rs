//! The seccomp filters, compiled once per process and installed last in the
//! child, just before `execve`.
//!
//! Denied calls fail with `EPERM` (not a kill) so programs degrade
//! gracefully; `clone3` fails with `ENOSYS` because its flags live in memory
//! a filter cannot read, and libc then falls back to `clone`, whose flags the
//! filter can check.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Calls no sandboxed program needs and that widen the kernel's attack
/// surface or undo the sandbox.
const DENIED: &[libc::c_long] = &[
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_userfaultfd,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_fsopen,
    libc::SYS_fsmount,
    libc::SYS_fsconfig,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_mount_setattr,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_reboot,
    libc::SYS_acct,
    libc::SYS_quotactl,
    libc::SYS_syslog,
    libc::SYS_lookup_dcookie,
];

/// Calls that set permission bits, with the index of their mode argument.
const MODE_SETTING: &[(libc::c_long, u8)] = &[
    (libc::SYS_fchmod, 1),
    (libc::SYS_fchmodat, 2),
    (libc::SYS_openat, 3),
    (libc::SYS_mkdirat, 2),
    (libc::SYS_mknodat, 2),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_fchmodat2, 2),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_chmod, 1),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_open, 2),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_creat, 1),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_mkdir, 1),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_mknod, 1),
];

/// Calls that set extended attributes (`setxattrat` is 463 on every
/// architecture that has it; the libc crate does not name it yet).
const SET_XATTR: &[libc::c_long] = &[
    libc::SYS_setxattr,
    libc::SYS_lsetxattr,
    libc::SYS_fsetxattr,
    463,
];

/// `clone` flags that would create namespaces.
const NAMESPACE_FLAGS: &[libc::c_int] = &[
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWNS,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWCGROUP,
];

/// The compiled filters, or why they could not be compiled.
pub(crate) fn programs() -> Result<&'static [BpfProgram], String> {
    static PROGRAMS: OnceLock<Result<Vec<BpfProgram>, String>> = OnceLock::new();
    PROGRAMS
        .get_or_init(|| compile().map_err(|e| e.to_string()))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

fn arch() -> Result<TargetArch, seccompiler::Error> {
    TargetArch::try_from(std::env::consts::ARCH).map_err(seccompiler::Error::Backend)
}

fn compile() -> Result<Vec<BpfProgram>, seccompiler::Error> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        DENIED.iter().map(|nr| (*nr, Vec::new())).collect();
    let masked = |arg: u8, mask: u64| -> Result<SeccompRule, seccompiler::Error> {
        let cond = SeccompCondition::new(
            arg,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(mask),
            mask,
        )?;
        Ok(SeccompRule::new(vec![cond])?)
    };
    let clone_rules = NAMESPACE_FLAGS
        .iter()
        .map(|flag| masked(0, u64::from(flag.unsigned_abs())))
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, clone_rules);
    // Netlink sockets configure interfaces, routes and the audit system.
    // Unix sockets by name reach host services through any socket file a
    // connected folder holds (an agent, a database, a container daemon);
    // unnamed pairs from `socketpair` reach nothing and stay allowed.
    let family = |family: libc::c_int| {
        SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Eq,
            family.unsigned_abs().into(),
        )
        .and_then(|cond| SeccompRule::new(vec![cond]))
    };
    rules.insert(
        libc::SYS_socket,
        vec![family(libc::AF_NETLINK)?, family(libc::AF_UNIX)?],
    );
    // TIOCSTI pushes input into a terminal; there is none here, but refuse anyway.
    let tiocsti =
        SeccompCondition::new(1, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, libc::TIOCSTI)?;
    rules.insert(libc::SYS_ioctl, vec![SeccompRule::new(vec![tiocsti])?]);

    // A command must not leave a setuid or setgid file behind: in a
    // connected folder it would stay so on the host (setuid-root when
    // cowork runs as root), and `cowork exec` writes folders directly. Every
    // call that sets permission bits has its mode argument checked.
    for (nr, mode) in MODE_SETTING {
        let special = [libc::S_ISUID, libc::S_ISGID]
            .into_iter()
            .map(|bit| masked(*mode, u64::from(bit)))
            .collect::<Result<Vec<_>, _>>()?;
        rules.insert(*nr, special);
    }

    let eperm = SeccompAction::Errno(libc::EPERM.unsigned_abs());
    let deny: BpfProgram =
        SeccompFilter::new(rules, SeccompAction::Allow, eperm, arch()?)?.try_into()?;

    // `openat2` keeps its mode in memory too; libc falls back to `openat`.
    let unreadable = BTreeMap::from([
        (libc::SYS_clone3, Vec::new()),
        (libc::SYS_openat2, Vec::new()),
    ]);
    let enosys = SeccompAction::Errno(libc::ENOSYS.unsigned_abs());
    let no_clone3: BpfProgram =
        SeccompFilter::new(unreadable, SeccompAction::Allow, enosys, arch()?)?.try_into()?;

    // Setting extended attributes could give a file capabilities
    // (`security.capability`), which a filter cannot tell from other names:
    // every set fails as on a file system without them, which copying tools
    // skip quietly.
    let xattrs = SET_XATTR.iter().map(|nr| (*nr, Vec::new())).collect();
    let unsupported = SeccompAction::Errno(libc::EOPNOTSUPP.unsigned_abs());
    let no_xattrs: BpfProgram =
        SeccompFilter::new(xattrs, SeccompAction::Allow, unsupported, arch()?)?.try_into()?;
    Ok(vec![deny, no_clone3, no_xattrs])
}

/// Installs the filters on the calling thread. Child side: needs
/// `no_new_privs` already set; returns the errno on failure.
pub(crate) fn install(programs: &[BpfProgram]) -> Result<(), i32> {
    for program in programs {
        seccompiler::apply_filter(program).map_err(|e| match e {
            seccompiler::Error::Prctl(io) | seccompiler::Error::Seccomp(io) => {
                io.raw_os_error().unwrap_or(libc::EINVAL)
            }
            _ => libc::EINVAL,
        })?;
    }
    Ok(())
}
