use std::net::{Ipv4Addr, TcpListener};

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|net| net.parse().unwrap()).collect()
}

fn judge(address: &str, ranges: &[&str], held: &[&str]) -> Result<(), Refusal> {
    let held: Vec<IpAddr> = held.iter().map(|text| ip(text)).collect();
    judge_address(ip(address), &nets(ranges), &held)
}

const THIS_MACHINE: Result<(), Refusal> = Err(Refusal::Internal(Internal::ThisMachine));

#[test]
fn an_address_the_machine_holds_is_refused_even_inside_an_allowed_range() {
    // Bug 12: a listed name resolving to the host's LAN, bridge or global
    // IPv6 address reached the host's own services.
    let held = [
        "127.0.0.1",
        "192.168.1.20",
        "172.17.0.1",
        "2606:4700::20",
        "::1",
    ];
    assert_eq!(
        judge("192.168.1.20", &["192.168.0.0/16"], &held),
        THIS_MACHINE
    );
    assert_eq!(judge("172.17.0.1", &["0.0.0.0/0"], &held), THIS_MACHINE);
    assert_eq!(judge("2606:4700::20", &[], &held), THIS_MACHINE);
    // The same addresses in IPv6 clothing.
    assert_eq!(
        judge("::ffff:192.168.1.20", &["192.168.0.0/16"], &held),
        THIS_MACHINE
    );
    assert_eq!(
        judge("64:ff9b::c0a8:114", &["192.168.0.0/16"], &held),
        THIS_MACHINE
    );
    assert_eq!(
        judge("2002:c0a8:114::1", &["192.168.0.0/16"], &held),
        THIS_MACHINE
    );
    // A neighbour in the same allowed range is fine.
    assert_eq!(judge("192.168.1.21", &["192.168.0.0/16"], &held), Ok(()));
}

#[test]
fn a_held_global_ipv4_address_is_refused_in_mapped_form_too() {
    let held = ["93.184.216.34"];
    assert_eq!(judge("93.184.216.34", &[], &held), THIS_MACHINE);
    assert_eq!(judge("::ffff:93.184.216.34", &[], &held), THIS_MACHINE);
    assert_eq!(judge("93.184.216.35", &[], &held), Ok(()));
}

#[test]
fn special_purpose_addresses_need_a_range_that_covers_them() {
    let refused = judge("10.1.2.3", &[], &[]);
    assert!(
        matches!(refused, Err(Refusal::Special(range)) if range.name == "private-use"),
        "{refused:?}"
    );
    assert_eq!(judge("10.1.2.3", &["10.0.0.0/8"], &[]), Ok(()));
    assert_eq!(judge("::ffff:10.1.2.3", &["10.0.0.0/8"], &[]), Ok(()));
    assert!(judge("10.1.2.3", &["10.2.0.0/16"], &[]).is_err());
    assert!(judge("10.1.2.3", &["::/0"], &[]).is_err());
    assert!(judge("100.64.0.1", &[], &[]).is_err());
    assert!(judge("fd12::1", &[], &[]).is_err());
    assert_eq!(judge("fd12::1", &["fd00::/8"], &[]), Ok(()));
    assert_eq!(judge("93.184.216.34", &[], &[]), Ok(()));
}

#[test]
fn no_range_opens_loopback_link_local_metadata_or_unspecified_addresses() {
    let everything = ["0.0.0.0/0", "::/0"];
    for (address, kind) in [
        ("127.0.0.1", Internal::Loopback),
        ("::ffff:127.0.0.1", Internal::Loopback),
        ("::1", Internal::Loopback),
        ("0.0.0.0", Internal::Unspecified),
        ("::", Internal::Unspecified),
        ("169.254.169.254", Internal::Metadata),
        ("64:ff9b::a9fe:a9fe", Internal::Metadata),
        ("fd00:ec2::254", Internal::Metadata),
        ("100.100.100.200", Internal::Metadata),
        ("169.254.1.1", Internal::LinkLocal),
        ("fe80::1", Internal::LinkLocal),
        ("224.0.0.1", Internal::Multicast),
        ("255.255.255.255", Internal::Broadcast),
    ] {
        assert_eq!(
            judge(address, &everything, &[]),
            Err(Refusal::Internal(kind)),
            "{address}"
        );
    }
}

#[test]
fn the_interface_list_holds_loopback_and_the_kernel_routes_it_to_itself() {
    let held = local::interface_addresses().unwrap();
    assert!(held.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)), "{held:?}");
    assert!(local::routes_to_self("127.0.0.1:443".parse().unwrap()).unwrap());
    assert!(local::routes_to_self("[::ffff:127.0.0.1]:443".parse().unwrap()).unwrap());
    for own in held
        .iter()
        .filter(|own| !own.is_loopback() && own.is_ipv4())
    {
        let broadcast = matches!(own, IpAddr::V4(v4) if v4.octets()[3] == 255);
        if !broadcast {
            let routed = local::routes_to_self(SocketAddr::new(*own, 443));
            assert!(routed.unwrap(), "{own}");
        }
    }
}

#[test]
fn a_connection_to_this_machine_is_recognised_as_one() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert!(local::is_self_connection(&stream).unwrap());
}

#[test]
fn refused_addresses_display_with_their_reason() {
    let refused = RefusedAddress {
        address: ip("192.0.2.2"),
        reason: Refusal::Internal(Internal::ThisMachine),
    };
    assert_eq!(
        refused.to_string(),
        "192.0.2.2 (an address of this machine)"
    );
    let Err(reason) = judge("10.0.0.1", &[], &[]) else {
        panic!("10.0.0.1 passed");
    };
    let private = RefusedAddress {
        address: ip("10.0.0.1"),
        reason,
    };
    assert_eq!(
        private.to_string(),
        "10.0.0.1 (in the private-use range 10.0.0.0/8)"
    );
}
