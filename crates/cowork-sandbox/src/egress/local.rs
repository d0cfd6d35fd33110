//! Which addresses lead back to this machine right now. Addresses come and
//! go (DHCP, VPNs, container bridges), so both checks run for every
//! connection rather than once at start.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};

use super::address::judged_form;

/// Every address (and IPv4 broadcast address) the machine's interfaces
/// hold, in the network namespace the proxy runs in, from `getifaddrs`.
pub(crate) fn interface_addresses() -> io::Result<Vec<IpAddr>> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `list` is a valid out-pointer; on success it points to a
    // linked list that stays valid until `freeifaddrs`, called below.
    if unsafe { libc::getifaddrs(&raw mut list) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut addresses = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: `entry` is a non-null node of the list `getifaddrs`
        // returned, not yet freed.
        let node = unsafe { &*entry };
        addresses.extend(sockaddr_ip(node.ifa_addr));
        // On Linux `ifa_ifu` is the broadcast address for interfaces with
        // IFF_BROADCAST (and the peer for point-to-point ones, which is
        // harmless to include: it is on the machine's own link).
        addresses.extend(sockaddr_ip(node.ifa_ifu));
        entry = node.ifa_next;
    }
    // SAFETY: `list` came from a successful `getifaddrs` and is freed once.
    unsafe { libc::freeifaddrs(list) };
    Ok(addresses)
}

/// The IP address of an `AF_INET`/`AF_INET6` sockaddr; `None` for other
/// families and null pointers.
fn sockaddr_ip(addr: *const libc::sockaddr) -> Option<IpAddr> {
    if addr.is_null() {
        return None;
    }
    // SAFETY: `addr` is non-null and points to a sockaddr from
    // `getifaddrs`, whose `sa_family` says which larger struct it is.
    let family = i32::from(unsafe { (*addr).sa_family });
    match family {
        libc::AF_INET => {
            // SAFETY: an AF_INET sockaddr is a sockaddr_in.
            let v4 = unsafe { &*addr.cast::<libc::sockaddr_in>() };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 sockaddr is a sockaddr_in6.
            let v6 = unsafe { &*addr.cast::<libc::sockaddr_in6>() };
            Some(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// Whether `held` (the interface addresses) contains `ip`, in either its
/// written or its judged (embedded IPv4) form.
pub(crate) fn is_held(ip: IpAddr, held: &[IpAddr]) -> bool {
    let judged = judged_form(ip);
    held.iter()
        .any(|own| *own == ip || judged_form(*own) == judged)
}

/// Asks the kernel where a packet to `addr` would go, without sending one:
/// a connected UDP socket gets the source address the routing table picks,
/// and for a destination the machine holds (including `local` routes that
/// no interface lists, as in AnyIP setups) that source is the destination
/// itself.
pub(crate) fn routes_to_self(addr: SocketAddr) -> io::Result<bool> {
    let unspecified: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let probe = UdpSocket::bind(unspecified)?;
    probe.connect(addr)?;
    let source = probe.local_addr()?.ip();
    Ok(judged_form(source) == judged_form(addr.ip()))
}

/// Whether an established connection ended up on this machine: the last
/// guard, for an address that appeared between the checks and the connect.
/// Nothing has been sent on it yet.
pub(crate) fn is_self_connection(stream: &TcpStream) -> io::Result<bool> {
    let local = stream.local_addr()?.ip();
    let peer = stream.peer_addr()?.ip();
    Ok(judged_form(local) == judged_form(peer))
}
