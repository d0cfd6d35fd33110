//! Reading a command's output pipes without blocking, keeping a capped
//! prefix of each.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::error::SandboxError;

/// Makes `fd` non-blocking.
pub(crate) fn nonblocking(fd: RawFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// One output pipe and what was kept of it.
pub(crate) struct Stream {
    pub fd: Option<OwnedFd>,
    pub kept: Vec<u8>,
    cap: usize,
    pub truncated: bool,
}

impl Stream {
    pub(crate) fn new(fd: OwnedFd, cap: usize) -> Self {
        nonblocking(fd.as_raw_fd());
        Self {
            fd: Some(fd),
            kept: Vec::new(),
            cap,
            truncated: false,
        }
    }

    /// Reads what is available; drops the fd at EOF.
    pub(crate) fn drain(&mut self) -> Result<(), SandboxError> {
        let Some(fd) = &self.fd else { return Ok(()) };
        let mut buf = [0u8; 64 * 1024];
        loop {
            // SAFETY: reading into a live local buffer of the given length.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            match usize::try_from(n) {
                Ok(0) => {
                    self.fd = None;
                    return Ok(());
                }
                Ok(n) => {
                    let room = self.cap.saturating_sub(self.kept.len());
                    self.kept.extend_from_slice(&buf[..n.min(room)]);
                    self.truncated |= n > room;
                }
                Err(_) => {
                    let e = std::io::Error::last_os_error();
                    return match e.kind() {
                        std::io::ErrorKind::WouldBlock => Ok(()),
                        std::io::ErrorKind::Interrupted => continue,
                        _ => Err(SandboxError::io("reading the command's output")(e)),
                    };
                }
            }
        }
    }
}

/// Writes to a command's stdin pipe what it takes now, from `data` past
/// `sent`; drops the pipe (closing it) when everything was written or the
/// command stopped reading.
pub(crate) fn feed_stdin(stdin: &mut Option<(OwnedFd, &[u8], usize)>) {
    let Some((fd, data, sent)) = stdin else {
        return;
    };
    let rest = &data[*sent..];
    // SAFETY: writing from a live slice of the given length.
    let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
    match usize::try_from(n) {
        Ok(n) => {
            *sent += n;
            if *sent >= data.len() {
                *stdin = None;
            }
        }
        Err(_) if std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock => {}
        // EPIPE: the command will not read more; that is its business.
        Err(_) => *stdin = None,
    }
}

/// A `pollfd` waiting for `events` on `fd`.
pub(crate) fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Waits up to `wait` (at least a millisecond) for any of `fds`; `false`
/// when a signal interrupted the wait and the caller should look again.
pub(crate) fn poll(
    fds: &mut [libc::pollfd],
    wait: std::time::Duration,
) -> Result<bool, SandboxError> {
    let ms = libc::c_int::try_from(wait.as_millis())
        .unwrap_or(libc::c_int::MAX)
        .max(1);
    // SAFETY: `fds` is a live array of the given length.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if ready >= 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::Interrupted {
        return Ok(false);
    }
    Err(SandboxError::io("waiting for the command")(e))
}
