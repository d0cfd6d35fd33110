//! Building the sandbox's root inside the new mount namespace (child side).
//!
//! A tmpfs over the host's `/tmp` becomes a scratch root, the host root moves
//! to `/oldroot`, the plan's binds and tmpfs mounts build `/newroot`, and a
//! final `pivot_root` makes `/newroot` the root and drops the host entirely.
//! Every function here runs after `fork`: syscalls on prepared C strings only.

use std::ffi::CStr;
use std::ptr;

use crate::plan::{BindMode, Op};
use crate::report::{Failure, Step, errno};

type Res = Result<(), Failure>;

/// `struct mount_attr` of `mount_setattr(2)`; not in the libc crate.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const MOUNT_ATTR_NODEV: u64 = 0x4;
const AT_RECURSIVE: libc::c_uint = 0x8000;

fn check(ret: libc::c_int, step: Step) -> Res {
    if ret < 0 {
        Err(Failure::last(step))
    } else {
        Ok(())
    }
}

fn mount(
    src: Option<&CStr>,
    dst: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> libc::c_int {
    let ptr_of = |s: Option<&CStr>| s.map_or(ptr::null(), CStr::as_ptr);
    // SAFETY: every pointer is null or a NUL-terminated string that outlives the call.
    unsafe {
        libc::mount(
            ptr_of(src),
            dst.as_ptr(),
            ptr_of(fstype),
            flags,
            ptr_of(data).cast(),
        )
    }
}

/// Builds the root from `ops` and switches to it. A failing op is reported
/// as `Step::Mount` with its index, which the parent turns into a path.
pub(crate) fn build_root(ops: &[Op]) -> Res {
    check(
        mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None),
        Step::PrivateMounts,
    )?;
    let nosuid_nodev = libc::MS_NOSUID | libc::MS_NODEV;
    check(
        mount(
            Some(c"tmpfs"),
            c"/tmp",
            Some(c"tmpfs"),
            nosuid_nodev,
            Some(c"size=1m,nr_inodes=16,mode=0755"),
        ),
        Step::RootTmpfs,
    )?;
    mkdir(c"/tmp/newroot").map_err(|_| Failure::last(Step::RootTmpfs))?;
    mkdir(c"/tmp/oldroot").map_err(|_| Failure::last(Step::RootTmpfs))?;
    check(
        mount(
            Some(c"tmpfs"),
            c"/tmp/newroot",
            Some(c"tmpfs"),
            nosuid_nodev,
            Some(c"size=4m,nr_inodes=8192,mode=0755"),
        ),
        Step::RootTmpfs,
    )?;
    // SAFETY: plain syscalls on static NUL-terminated paths.
    unsafe {
        check(libc::chdir(c"/tmp".as_ptr()), Step::PivotRoot)?;
        check(pivot_root(c".", c"oldroot"), Step::PivotRoot)?;
        check(libc::chdir(c"/".as_ptr()), Step::PivotRoot)?;
    }

    for (index, op) in ops.iter().enumerate() {
        apply(op).map_err(|errno| Failure {
            step: Step::Mount,
            arg: u16::try_from(index).unwrap_or(u16::MAX),
            errno,
        })?;
    }

    // SAFETY: plain syscalls on static NUL-terminated paths.
    unsafe {
        check(
            libc::umount2(c"/oldroot".as_ptr(), libc::MNT_DETACH),
            Step::PivotRoot,
        )?;
        check(libc::chdir(c"/newroot".as_ptr()), Step::PivotRoot)?;
        // Stacking the old root on the new one and detaching it leaves no
        // path back to the scratch root (the same trick bubblewrap uses).
        check(pivot_root(c".", c"."), Step::PivotRoot)?;
        check(
            libc::umount2(c".".as_ptr(), libc::MNT_DETACH),
            Step::PivotRoot,
        )?;
        check(libc::chdir(c"/".as_ptr()), Step::PivotRoot)?;
    }
    let ro = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | nosuid_nodev;
    check(mount(None, c"/", None, ro, None), Step::PivotRoot)
}

fn pivot_root(new_root: &CStr, put_old: &CStr) -> libc::c_int {
    // SAFETY: both arguments are NUL-terminated strings valid for the call.
    let ret = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
    libc::c_int::try_from(ret).unwrap_or(-1)
}

fn mkdir(path: &CStr) -> Result<(), i32> {
    // SAFETY: `path` is NUL-terminated and valid for the call.
    if unsafe { libc::mkdir(path.as_ptr(), 0o755) } < 0 {
        let e = errno();
        if e != libc::EEXIST {
            return Err(e);
        }
    }
    Ok(())
}

/// Runs one plan step; the error is the errno.
fn apply(op: &Op) -> Result<(), i32> {
    let fail = |ret: libc::c_int| if ret < 0 { Err(errno()) } else { Ok(()) };
    match op {
        Op::Mkdir(path) => mkdir(path),
        Op::Touch(path) => {
            // SAFETY: `path` is NUL-terminated; the fd is closed right away.
            let fd = unsafe {
                libc::open(
                    path.as_ptr(),
                    libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                    0o644,
                )
            };
            fail(fd)?;
            // SAFETY: `fd` was just opened by us.
            unsafe { libc::close(fd) };
            Ok(())
        }
        Op::Symlink { target, path } => {
            // SAFETY: both strings are NUL-terminated and valid for the call.
            let ret = unsafe { libc::symlink(target.as_ptr(), path.as_ptr()) };
            if ret < 0 && errno() != libc::EEXIST {
                return Err(errno());
            }
            Ok(())
        }
        Op::Tmpfs { dst, data } => fail(mount(
            Some(c"tmpfs"),
            dst,
            Some(c"tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some(data),
        )),
        Op::Proc(dst) => fail(mount(
            Some(c"proc"),
            dst,
            Some(c"proc"),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            None,
        )),
        Op::Bind { src, dst, mode } => {
            fail(mount(Some(src), dst, None, libc::MS_BIND, None))?;
            let extra = match mode {
                BindMode::ReadOnly => libc::MS_RDONLY | libc::MS_NODEV,
                BindMode::ReadWrite => libc::MS_NODEV,
                BindMode::Device | BindMode::Sealed => return Ok(()),
            };
            let flags =
                libc::MS_REMOUNT | libc::MS_BIND | libc::MS_NOSUID | extra | locked_flags(dst)?;
            fail(mount(None, dst, None, flags, None))
        }
        Op::Pin(dst) => fail(mount(
            Some(dst),
            dst,
            None,
            libc::MS_BIND | libc::MS_REC,
            None,
        )),
        Op::Protect(dst) => {
            fail(mount(
                Some(dst),
                dst,
                None,
                libc::MS_BIND | libc::MS_REC,
                None,
            ))?;
            let flags = libc::MS_REMOUNT
                | libc::MS_BIND
                | libc::MS_RDONLY
                | libc::MS_NOSUID
                | libc::MS_NODEV
                | locked_flags(dst)?;
            fail(mount(None, dst, None, flags, None))
        }
        Op::Overlay { dst, data, .. } => fail(mount(
            Some(c"overlay"),
            dst,
            Some(c"overlay"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some(data),
        )),
        Op::Hide { dst, file: false } => fail(mount(
            Some(c"tmpfs"),
            dst,
            Some(c"tmpfs"),
            libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            Some(c"size=4k,nr_inodes=1,mode=0555"),
        )),
        Op::Hide { dst, file: true } => {
            fail(mount(
                Some(c"/oldroot/dev/null"),
                dst,
                None,
                libc::MS_BIND,
                None,
            ))?;
            let flags = libc::MS_REMOUNT
                | libc::MS_BIND
                | libc::MS_RDONLY
                | libc::MS_NOSUID
                | libc::MS_NODEV
                | locked_flags(dst)?;
            fail(mount(None, dst, None, flags, None))
        }
        Op::Seal(path) => {
            let attr = MountAttr {
                attr_set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                attr_clr: 0,
                propagation: 0,
                userns_fd: 0,
            };
            // SAFETY: `path` is NUL-terminated; `attr` is a live struct of
            // the size passed.
            let ret = unsafe {
                libc::syscall(
                    libc::SYS_mount_setattr,
                    libc::AT_FDCWD,
                    path.as_ptr(),
                    AT_RECURSIVE,
                    &raw const attr,
                    std::mem::size_of::<MountAttr>(),
                )
            };
            if ret < 0 { Err(errno()) } else { Ok(()) }
        }
    }
}

/// Flags of the mount at `path` that a user namespace may not clear on
/// remount (the kernel locks them), so they must be repeated.
fn locked_flags(path: &CStr) -> Result<libc::c_ulong, i32> {
    // SAFETY: `st` is plain data the kernel fills; `path` is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    if unsafe { libc::statvfs(path.as_ptr(), &raw mut st) } < 0 {
        return Err(errno());
    }
    let pairs = [
        (libc::ST_RDONLY, libc::MS_RDONLY),
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ];
    Ok(pairs
        .iter()
        .filter(|(st_flag, _)| st.f_flag & st_flag != 0)
        .fold(0, |acc, (_, ms)| acc | ms))
}

/// Sets the hostname of the new UTS namespace.
pub(crate) fn set_hostname() -> Res {
    let name = b"cowork-sandbox";
    // SAFETY: `name` is a live buffer of the given length.
    check(
        unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) },
        Step::Hostname,
    )
}

/// Brings `lo` up in the new, otherwise empty network namespace so servers
/// the command starts for itself are reachable.
pub(crate) fn loopback_up() -> Res {
    // SAFETY: socket/ioctl on a zeroed `ifreq` naming "lo"; the fd is closed.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        check(fd, Step::Loopback)?;
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        let mut ret = libc::ioctl(fd, libc::SIOCGIFFLAGS, &raw mut ifr);
        if ret >= 0 {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            ret = libc::ioctl(fd, libc::SIOCSIFFLAGS, &raw const ifr);
        }
        let result = check(ret, Step::Loopback);
        libc::close(fd);
        result
    }
}
