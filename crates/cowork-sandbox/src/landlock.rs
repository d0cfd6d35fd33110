//! The Landlock ruleset: a second wall behind the mount namespace, applied
//! in the child after the root is built (paths are the sandbox's own).
//!
//! Best effort: on kernels without Landlock, or with an older ABI, the
//! ruleset enforces what the kernel supports and reports the ABI it got.

use std::ffi::CStr;

use landlock::{
    ABI, Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};

/// The newest ABI this ruleset was written and tested against.
const TARGET: ABI = ABI::V6;

/// System directories: read and execute.
const SYSTEM: &[&CStr] = &[
    c"/usr", c"/bin", c"/sbin", c"/lib", c"/lib64", c"/lib32", c"/libx32",
];

/// The kernel's Landlock ABI version, or `None` without Landlock.
pub(crate) fn kernel_abi() -> Option<i32> {
    // SAFETY: LANDLOCK_CREATE_RULESET_VERSION with a null attr only queries.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    i32::try_from(version).ok().filter(|v| *v > 0)
}

/// Restricts the calling process. Returns the ABI enforced (0 when the
/// kernel enforced nothing). Child side.
pub(crate) fn restrict(
    writable: &[&CStr],
    readonly: &[&CStr],
    kernel_abi: i32,
) -> Result<i32, String> {
    let read = AccessFs::from_read(TARGET);
    let all = AccessFs::from_all(TARGET);
    let device = read | AccessFs::WriteFile;
    let mut rules: Vec<(&CStr, BitFlags<AccessFs>)> = Vec::new();
    rules.push((c"/", BitFlags::from(AccessFs::ReadDir)));
    rules.extend(SYSTEM.iter().map(|p| (*p, read)));
    rules.extend([(c"/etc", read), (c"/proc", read), (c"/dev", device)]);
    rules.extend([(c"/dev/shm", all), (c"/tmp", all), (c"/home/sandbox", all)]);
    rules.extend(readonly.iter().map(|p| (*p, read)));
    rules.extend(writable.iter().map(|p| (*p, all)));

    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .and_then(|r| r.scope(Scope::from_all(TARGET)))
        .and_then(Ruleset::create)
        .map_err(|e| e.to_string())?;
    for (path, access) in rules {
        let Ok(path) = path.to_str() else { continue };
        // Absent system directories (lib32 on most machines) are skipped.
        let Ok(fd) = PathFd::new(path) else { continue };
        ruleset = ruleset
            .add_rule(PathBeneath::new(fd, access))
            .map_err(|e| e.to_string())?;
    }
    let status = ruleset.restrict_self().map_err(|e| e.to_string())?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => {
            kernel_abi.min(TARGET as i32)
        }
        RulesetStatus::NotEnforced => 0,
    })
}
