//! Ctrl-C for a caller that runs one command and exits (`cowork exec`):
//! SIGINT, SIGTERM and SIGHUP set a flag that [`run_cancellable`]
//! (crate::run_cancellable) and [`run_unsandboxed`](crate::run_unsandboxed)
//! watch, instead of killing the caller before it could stop the command's
//! process tree and say so. No async runtime or helper thread is needed.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::SandboxError;

/// Signal dispositions are per process, so the flag they set is too.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // An atomic store is async-signal-safe.
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Installs the handlers (once is enough; again is harmless) and returns
/// the flag they set.
pub(crate) fn flag() -> Result<&'static AtomicBool, SandboxError> {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: `action` is a zeroed sigaction with an empty mask and a
        // handler that only stores to an atomic.
        let ret = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(signal, &raw const action, std::ptr::null_mut())
        };
        if ret < 0 {
            return Err(SandboxError::io("installing the Ctrl-C handler")(
                std::io::Error::last_os_error(),
            ));
        }
    }
    Ok(&INTERRUPTED)
}
