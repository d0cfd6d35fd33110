//! The egress bridge: a TCP listener created *inside* the sandbox's network
//! namespace and handed to the host process, which serves it with the
//! allowlisting proxy.
//!
//! A socket belongs to the namespace it was created in, whoever holds it:
//! the sandbox's init binds `127.0.0.1:PROXY_PORT` in the sandbox's
//! otherwise empty namespace and passes the descriptor over a Unix socket
//! pair (`SCM_RIGHTS`); the host accepts on it and connects out from the
//! host's network. Nothing inside can reach anything else.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::report::{Failure, Step, errno};

/// `CMSG_SPACE(sizeof(int))` rounded to 8-byte words.
const CMSG_WORDS: usize = 4;

/// A connected Unix socket pair: (parent end, child end), both CLOEXEC.
pub(crate) fn pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    let ret = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded; both fds are fresh and ours alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Child side (the sandbox's init, after loopback is up): binds and
/// listens on `127.0.0.1:port` and sends the listener over `channel`.
/// Async-signal-safe: syscalls on stack data only.
pub(crate) fn send_listener(channel: RawFd, port: u16) -> Result<(), Failure> {
    // SAFETY: plain socket syscalls on a zeroed sockaddr_in and a local
    // msghdr whose pointers outlive the calls; the listener is closed here.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(Failure::last(Step::Egress));
        }
        let result = (|| {
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_port = port.to_be();
            addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            check(libc::bind(fd, (&raw const addr).cast(), len))?;
            check(libc::listen(fd, 128))?;
            let mut byte = [0u8; 1];
            let mut iov = libc::iovec {
                iov_base: byte.as_mut_ptr().cast(),
                iov_len: 1,
            };
            let mut control = [0u64; CMSG_WORDS];
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &raw mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
            let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            if cmsg.is_null() {
                return Err(libc::EINVAL);
            }
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
            if libc::sendmsg(channel, &raw const msg, libc::MSG_NOSIGNAL) < 0 {
                return Err(errno());
            }
            Ok(())
        })();
        libc::close(fd);
        result.map_err(|e| Failure {
            step: Step::Egress,
            arg: 0,
            errno: e,
        })
    }
}

fn check(ret: libc::c_int) -> Result<(), i32> {
    if ret < 0 { Err(errno()) } else { Ok(()) }
}

/// Parent side: waits for the listener. `None` when the child ended
/// without sending one (its setup failed; the report pipe says why).
pub(crate) fn receive_listener(channel: &OwnedFd) -> std::io::Result<Option<OwnedFd>> {
    use std::os::fd::AsRawFd;
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u64; CMSG_WORDS];
    // SAFETY: a zeroed msghdr pointing at live local buffers; the kernel
    // writes at most `msg_controllen` bytes of control data.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        let n = loop {
            let n = libc::recvmsg(channel.as_raw_fd(), &raw mut msg, libc::MSG_CMSG_CLOEXEC);
            if n >= 0 || errno() != libc::EINTR {
                break n;
            }
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        if n == 0 || cmsg.is_null() {
            return Ok(None);
        }
        if (*cmsg).cmsg_level != libc::SOL_SOCKET || (*cmsg).cmsg_type != libc::SCM_RIGHTS {
            return Ok(None);
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>());
        Ok(Some(OwnedFd::from_raw_fd(fd)))
    }
}
