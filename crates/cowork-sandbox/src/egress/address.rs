//! What an IP address is, from the proxy's point of view: an ordinary
//! global address, one of the IANA special-purpose ranges (refused unless
//! the allowlist names a range covering it), or this machine and its link
//! (always refused).
//!
//! IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
//! SIIT-translated, NAT64 `64:ff9b::/96`, 6to4) are judged by that IPv4
//! address, since that is where the packets end up.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A CIDR range such as `10.0.0.0/8` or `fc00::/7`; the address has no
/// bits set past the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    network: IpAddr,
    prefix: u8,
}

/// Why a string is not a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpNetError {
    /// No `/prefix`, or the address part does not parse.
    #[error("not an address/prefix range")]
    Syntax,
    /// The prefix is longer than the address.
    #[error("the prefix is longer than /{max}")]
    PrefixTooLong {
        /// 32 or 128.
        max: u8,
    },
    /// Bits are set past the prefix; the range meant is probably `network`.
    #[error("bits are set past the prefix; write `{network}`")]
    HostBits {
        /// The range with those bits cleared.
        network: IpNet,
    },
}

impl IpNet {
    const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Self {
        Self {
            network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            prefix,
        }
    }

    #[expect(
        clippy::many_single_char_names,
        reason = "the eight groups of an address"
    )]
    const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, prefix: u8) -> Self {
        Self {
            network: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, 0, 0)),
            prefix,
        }
    }

    /// The first address of the range.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in the range; an address of the other family never
    /// does.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask32(self.prefix);
                u32::from(ip) & mask == u32::from(net) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask128(self.prefix);
                u128::from(ip) & mask == u128::from(net) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }

    /// Whether every address of `other` lies in this range.
    pub fn covers(&self, other: &IpNet) -> bool {
        self.prefix <= other.prefix && self.contains(other.network)
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for IpNet {
    type Err = IpNetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = text.split_once('/').ok_or(IpNetError::Syntax)?;
        let address: IpAddr = address.parse().map_err(|_| IpNetError::Syntax)?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IpNetError::Syntax);
        }
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|prefix| *prefix <= max)
            .ok_or(IpNetError::PrefixTooLong { max })?;
        let network = match address {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask32(prefix))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask128(prefix))),
        };
        let net = Self { network, prefix };
        if network != address {
            return Err(IpNetError::HostBits { network: net });
        }
        Ok(net)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// What an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// An ordinary global unicast address.
    Global,
    /// In an IANA special-purpose (or otherwise non-global) range: refused
    /// unless an allowlist range covers the address.
    Special(SpecialRange),
    /// This machine, its link, or a cloud metadata service: always refused.
    Internal(Internal),
}

/// A special-purpose range and its registry name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialRange {
    /// The range.
    pub net: IpNet,
    /// What the registry calls it ("private use", "documentation", ...).
    pub name: &'static str,
}

impl fmt::Display for SpecialRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} range {}", self.name, self.net)
    }
}

/// The kinds of address that lead to this machine or its surroundings and
/// that no allowlist entry can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `0.0.0.0`, `::` (Linux connects them to this machine) and the rest
    /// of "this network" `0.0.0.0/8`.
    Unspecified,
    /// `169.254.0.0/16`, `fe80::/10`: the machine's own link.
    LinkLocal,
    /// A cloud metadata service (`169.254.169.254`, `fd00:ec2::254`, ...),
    /// which hands out the host's credentials.
    Metadata,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255` or an interface's broadcast address.
    Broadcast,
    /// An address one of this machine's interfaces holds, or one the kernel
    /// routes back to this machine.
    ThisMachine,
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "a loopback address",
            Self::Unspecified => "an unspecified (\"this network\") address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata service address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "a broadcast address",
            Self::ThisMachine => "an address of this machine",
        })
    }
}

/// Ranges leading to this machine or its link, most specific first.
const INTERNAL_V4: &[(IpNet, Internal)] = &[
    (IpNet::v4(0, 0, 0, 0, 8), Internal::Unspecified),
    (IpNet::v4(127, 0, 0, 0, 8), Internal::Loopback),
    (IpNet::v4(169, 254, 169, 254, 32), Internal::Metadata),
    // AWS ECS task metadata and credentials.
    (IpNet::v4(169, 254, 170, 2, 32), Internal::Metadata),
    (IpNet::v4(169, 254, 0, 0, 16), Internal::LinkLocal),
    // Alibaba Cloud metadata, inside the shared range.
    (IpNet::v4(100, 100, 100, 200, 32), Internal::Metadata),
    // Oracle Cloud's legacy metadata address.
    (IpNet::v4(192, 0, 0, 192, 32), Internal::Metadata),
    // Azure's host agent ("wireserver"), reachable only from inside Azure.
    (IpNet::v4(168, 63, 129, 16, 32), Internal::Metadata),
    (IpNet::v4(224, 0, 0, 0, 4), Internal::Multicast),
    (IpNet::v4(255, 255, 255, 255, 32), Internal::Broadcast),
];

/// The IANA IPv4 special-purpose registry entries that are not globally
/// reachable, plus the reserved `240.0.0.0/4`.
const SPECIAL_V4: &[SpecialRange] = &[
    special(IpNet::v4(10, 0, 0, 0, 8), "private-use"),
    special(IpNet::v4(172, 16, 0, 0, 12), "private-use"),
    special(IpNet::v4(192, 168, 0, 0, 16), "private-use"),
    special(IpNet::v4(100, 64, 0, 0, 10), "shared address space (CGNAT)"),
    special(IpNet::v4(192, 0, 0, 0, 24), "IETF protocol assignments"),
    special(IpNet::v4(192, 0, 2, 0, 24), "documentation"),
    special(IpNet::v4(198, 51, 100, 0, 24), "documentation"),
    special(IpNet::v4(203, 0, 113, 0, 24), "documentation"),
    special(IpNet::v4(198, 18, 0, 0, 15), "benchmarking"),
    special(
        IpNet::v4(192, 88, 99, 0, 24),
        "deprecated 6to4 relay anycast",
    ),
    special(IpNet::v4(240, 0, 0, 0, 4), "reserved"),
];

const INTERNAL_V6: &[(IpNet, Internal)] = &[
    (IpNet::v6(0xfe80, 0, 0, 0, 0, 0, 10), Internal::LinkLocal),
    (IpNet::v6(0xff00, 0, 0, 0, 0, 0, 8), Internal::Multicast),
    // AWS instance metadata over IPv6, inside the unique-local range.
    (
        IpNet {
            network: IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
            prefix: 128,
        },
        Internal::Metadata,
    ),
];

/// The IANA IPv6 special-purpose registry entries that are not globally
/// reachable, most specific first, then everything outside global unicast
/// `2000::/3`.
const SPECIAL_V6: &[SpecialRange] = &[
    special(IpNet::v6(0xfc00, 0, 0, 0, 0, 0, 7), "unique-local"),
    special(
        IpNet::v6(0xfec0, 0, 0, 0, 0, 0, 10),
        "deprecated site-local",
    ),
    special(IpNet::v6(0x2001, 0xdb8, 0, 0, 0, 0, 32), "documentation"),
    special(IpNet::v6(0x3fff, 0, 0, 0, 0, 0, 20), "documentation"),
    special(IpNet::v6(0x2001, 2, 0, 0, 0, 0, 48), "benchmarking"),
    // Teredo hides the client's IPv4 address (inverted) and tunnels to it
    // through a relay: no IPv4 address to judge it by, so refused as is.
    special(IpNet::v6(0x2001, 0, 0, 0, 0, 0, 32), "Teredo"),
    special(IpNet::v6(0x2001, 0x10, 0, 0, 0, 0, 28), "deprecated ORCHID"),
    special(IpNet::v6(0x2001, 0x20, 0, 0, 0, 0, 28), "ORCHIDv2"),
    special(
        IpNet::v6(0x2001, 0, 0, 0, 0, 0, 23),
        "IETF protocol assignments",
    ),
    special(IpNet::v6(0x100, 0, 0, 0, 0, 0, 64), "discard-only"),
    special(IpNet::v6(0x100, 0, 0, 1, 0, 0, 64), "dummy prefix"),
    // Local-use NAT64 places the IPv4 address differently per prefix
    // length, so it cannot be judged by it.
    special(IpNet::v6(0x64, 0xff9b, 1, 0, 0, 0, 48), "local-use NAT64"),
    special(IpNet::v6(0x5f00, 0, 0, 0, 0, 0, 16), "segment routing SIDs"),
];

/// Where IPv6 ends up when it is not global unicast and matches nothing
/// more specific.
const GLOBAL_UNICAST_V6: IpNet = IpNet::v6(0x2000, 0, 0, 0, 0, 0, 3);
const NON_GLOBAL_V6: SpecialRange = special(IpNet::v6(0, 0, 0, 0, 0, 0, 0), "reserved IPv6");

const fn special(net: IpNet, name: &'static str) -> SpecialRange {
    SpecialRange { net, name }
}

/// Classifies `ip` by the fixed tables. The addresses the machine holds at
/// the moment are a separate, live check (see the connector).
pub fn classify_address(ip: IpAddr) -> AddressClass {
    match judged_form(ip) {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let ip = IpAddr::V4(ip);
    if let Some((_, internal)) = INTERNAL_V4.iter().find(|(net, _)| net.contains(ip)) {
        return AddressClass::Internal(*internal);
    }
    SPECIAL_V4
        .iter()
        .find(|range| range.net.contains(ip))
        .map_or(AddressClass::Global, |range| AddressClass::Special(*range))
}

fn classify_v6(v6: Ipv6Addr) -> AddressClass {
    if v6.is_unspecified() {
        return AddressClass::Internal(Internal::Unspecified);
    }
    if v6.is_loopback() {
        return AddressClass::Internal(Internal::Loopback);
    }
    let ip = IpAddr::V6(v6);
    if let Some((_, internal)) = INTERNAL_V6.iter().find(|(net, _)| net.contains(ip)) {
        return AddressClass::Internal(*internal);
    }
    if let Some(range) = SPECIAL_V6.iter().find(|range| range.net.contains(ip)) {
        return AddressClass::Special(*range);
    }
    if GLOBAL_UNICAST_V6.contains(ip) {
        AddressClass::Global
    } else {
        AddressClass::Special(NON_GLOBAL_V6)
    }
}

/// The kind of internal range that holds every address of `net`, if one
/// does: such a range can never be opened by an allowlist entry.
pub(crate) fn internal_covering(net: &IpNet) -> Option<Internal> {
    let single = |ip: Ipv6Addr, kind| {
        let host = IpNet {
            network: IpAddr::V6(ip),
            prefix: 128,
        };
        (host.covers(net)).then_some(kind)
    };
    single(Ipv6Addr::UNSPECIFIED, Internal::Unspecified)
        .or_else(|| single(Ipv6Addr::LOCALHOST, Internal::Loopback))
        .or_else(|| {
            INTERNAL_V4
                .iter()
                .chain(INTERNAL_V6)
                .find(|(internal, _)| internal.covers(net))
                .map(|(_, kind)| *kind)
        })
}

/// The address the packets really go to: the IPv4 address an IPv6 form
/// embeds, or `ip` itself. `::` and `::1` stay IPv6 (they would otherwise
/// read as `0.0.0.0` and `0.0.0.1`, which are refused all the same).
pub fn judged_form(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else { return ip };
    if v6.is_unspecified() || v6.is_loopback() {
        return ip;
    }
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    };
    match v6.segments() {
        // IPv4-mapped, IPv4-compatible (deprecated, still handed to the
        // IPv4 stack by some systems), SIIT-translated, NAT64.
        [0, 0, 0, 0, 0, 0xffff, high, low]
        | [0, 0, 0, 0, 0, 0, high, low]
        | [0, 0, 0, 0, 0xffff, 0, high, low]
        | [0x64, 0xff9b, 0, 0, 0, 0, high, low] => embedded(high, low),
        // 6to4 relays to the IPv4 address in the next 32 bits.
        [0x2002, high, low, ..] => embedded(high, low),
        _ => ip,
    }
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
