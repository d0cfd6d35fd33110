use super::*;

fn class(text: &str) -> AddressClass {
    classify_address(text.parse().unwrap())
}

fn assert_internal(cases: &[(&str, Internal)]) {
    for (ip, kind) in cases {
        assert_eq!(class(ip), AddressClass::Internal(*kind), "{ip}");
    }
}

/// (address, the range it must be classified in).
fn assert_special(cases: &[(&str, &str)]) {
    for (ip, net) in cases {
        match class(ip) {
            AddressClass::Special(range) => assert_eq!(range.net.to_string(), *net, "{ip}"),
            other => panic!("{ip} should be special ({net}), is {other:?}"),
        }
    }
}

fn assert_global(cases: &[&str]) {
    for ip in cases {
        assert_eq!(class(ip), AddressClass::Global, "{ip}");
    }
}

#[test]
fn ipv4_internal_ranges_are_refused_up_to_their_edges() {
    assert_internal(&[
        ("0.0.0.0", Internal::Unspecified),
        ("0.255.255.255", Internal::Unspecified),
        ("127.0.0.0", Internal::Loopback),
        ("127.0.0.1", Internal::Loopback),
        ("127.255.255.255", Internal::Loopback),
        ("169.254.0.0", Internal::LinkLocal),
        ("169.254.255.255", Internal::LinkLocal),
        ("169.254.169.254", Internal::Metadata),
        ("169.254.170.2", Internal::Metadata),
        ("100.100.100.200", Internal::Metadata),
        ("192.0.0.192", Internal::Metadata),
        ("168.63.129.16", Internal::Metadata),
        ("224.0.0.0", Internal::Multicast),
        ("239.255.255.255", Internal::Multicast),
        ("255.255.255.255", Internal::Broadcast),
    ]);
}

#[test]
fn ipv4_special_purpose_ranges_are_recognised_up_to_their_edges() {
    assert_special(&[
        ("10.0.0.0", "10.0.0.0/8"),
        ("10.255.255.255", "10.0.0.0/8"),
        ("172.16.0.0", "172.16.0.0/12"),
        ("172.31.255.255", "172.16.0.0/12"),
        ("192.168.0.0", "192.168.0.0/16"),
        ("192.168.255.255", "192.168.0.0/16"),
        ("100.64.0.0", "100.64.0.0/10"),
        ("100.127.255.255", "100.64.0.0/10"),
        ("192.0.0.0", "192.0.0.0/24"),
        ("192.0.0.255", "192.0.0.0/24"),
        ("192.0.2.0", "192.0.2.0/24"),
        ("192.0.2.255", "192.0.2.0/24"),
        ("198.51.100.7", "198.51.100.0/24"),
        ("203.0.113.255", "203.0.113.0/24"),
        ("198.18.0.0", "198.18.0.0/15"),
        ("198.19.255.255", "198.18.0.0/15"),
        ("192.88.99.1", "192.88.99.0/24"),
        ("240.0.0.0", "240.0.0.0/4"),
        ("255.255.255.254", "240.0.0.0/4"),
    ]);
}

#[test]
fn ipv4_addresses_just_outside_each_range_are_global() {
    assert_global(&[
        "1.0.0.0",
        "9.255.255.255",
        "11.0.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "191.255.255.255",
        "192.0.1.0",
        "192.0.3.0",
        "198.51.99.255",
        "198.51.101.0",
        "203.0.112.255",
        "203.0.114.0",
        "198.17.255.255",
        "198.20.0.0",
        "192.88.98.255",
        "192.88.100.0",
        "223.255.255.255",
        "93.184.216.34",
    ]);
}

#[test]
fn ipv6_internal_ranges_are_refused_up_to_their_edges() {
    assert_internal(&[
        ("::", Internal::Unspecified),
        ("::1", Internal::Loopback),
        ("fe80::", Internal::LinkLocal),
        ("fe80::1", Internal::LinkLocal),
        ("febf:ffff::1", Internal::LinkLocal),
        ("ff00::", Internal::Multicast),
        ("ff02::1", Internal::Multicast),
        (
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            Internal::Multicast,
        ),
        ("fd00:ec2::254", Internal::Metadata),
    ]);
}

#[test]
fn ipv6_special_purpose_ranges_are_recognised_up_to_their_edges() {
    assert_special(&[
        ("fc00::", "fc00::/7"),
        ("fd12:3456::1", "fc00::/7"),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7"),
        ("fd00:ec2::253", "fc00::/7"),
        ("fec0::1", "fec0::/10"),
        ("feff:ffff::1", "fec0::/10"),
        ("2001:db8::", "2001:db8::/32"),
        ("2001:db8:ffff:ffff::1", "2001:db8::/32"),
        ("3fff::", "3fff::/20"),
        ("3fff:fff:ffff::1", "3fff::/20"),
        ("2001:2::", "2001:2::/48"),
        ("2001:2:0:ffff::1", "2001:2::/48"),
        ("2001::1", "2001::/32"),
        ("2001:0:ffff:ffff::1", "2001::/32"),
        ("2001:20::1", "2001:20::/28"),
        ("2001:2f:ffff::1", "2001:20::/28"),
        ("2001:10::1", "2001:10::/28"),
        ("2001:1ff:ffff::1", "2001::/23"),
        // Just past the more specific entries inside 2001::/23.
        ("2001:1::1", "2001::/23"),
        ("2001:2:1::1", "2001::/23"),
        ("2001:30::1", "2001::/23"),
        ("100::", "100::/64"),
        ("100::ffff:ffff:ffff:ffff", "100::/64"),
        ("100:0:0:1::1", "100:0:0:1::/64"),
        ("64:ff9b:1::1", "64:ff9b:1::/48"),
        ("64:ff9b:1:ffff::1", "64:ff9b:1::/48"),
        ("5f00::1", "5f00::/16"),
        // Outside global unicast 2000::/3.
        ("1fff:ffff::1", "::/0"),
        ("4000::1", "::/0"),
        ("64:ff9b::1:0:0:1", "::/0"),
    ]);
}

#[test]
fn ipv6_addresses_just_outside_each_range_are_global() {
    assert_global(&[
        "2000::",
        "2606:4700::1111",
        "2001:db7:ffff::1",
        "2001:db9::1",
        "3ffe:ffff::1",
        "3fff:1000::1",
        "2000:ffff:ffff:ffff::1",
        "2001:200::",
        "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]);
}

#[test]
fn ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4_address() {
    assert_internal(&[
        ("::ffff:127.0.0.1", Internal::Loopback),
        ("::ffff:169.254.169.254", Internal::Metadata),
        ("::ffff:0.0.0.0", Internal::Unspecified),
        ("::127.0.0.1", Internal::Loopback),
        ("::0.0.0.2", Internal::Unspecified),
        ("::ffff:0:127.0.0.1", Internal::Loopback),
        ("64:ff9b::7f00:1", Internal::Loopback),
        ("64:ff9b::a9fe:a9fe", Internal::Metadata),
        ("2002:7f00:1::1", Internal::Loopback),
        ("2002:a9fe:a9fe::", Internal::Metadata),
    ]);
    assert_special(&[
        ("::ffff:10.1.2.3", "10.0.0.0/8"),
        ("::ffff:192.168.1.1", "192.168.0.0/16"),
        ("64:ff9b::a01:203", "10.0.0.0/8"),
        ("2002:c0a8:101::1", "192.168.0.0/16"),
        ("::ffff:0:10.0.0.1", "10.0.0.0/8"),
    ]);
    assert_global(&[
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822",
        "2002:5db8:d822::1",
    ]);
}

#[test]
fn judged_form_unwraps_embedded_ipv4_but_keeps_unspecified_and_loopback() {
    let judged = |text: &str| judged_form(text.parse().unwrap()).to_string();
    assert_eq!(judged("::ffff:1.2.3.4"), "1.2.3.4");
    assert_eq!(judged("64:ff9b::102:304"), "1.2.3.4");
    assert_eq!(judged("2002:102:304:5::6"), "1.2.3.4");
    assert_eq!(judged("::"), "::");
    assert_eq!(judged("::1"), "::1");
    assert_eq!(judged("2001:db8::1"), "2001:db8::1");
    assert_eq!(judged("1.2.3.4"), "1.2.3.4");
}

#[test]
fn cidr_ranges_parse_contain_and_reject_host_bits() {
    let net: IpNet = "10.0.0.0/8".parse().unwrap();
    assert!(net.contains("10.255.0.1".parse().unwrap()));
    assert!(!net.contains("11.0.0.0".parse().unwrap()));
    assert!(!net.contains("::ffff:10.0.0.1".parse().unwrap()));
    let all: IpNet = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains("255.255.255.255".parse().unwrap()));
    let host: IpNet = "fd00::1/128".parse().unwrap();
    assert!(host.contains("fd00::1".parse().unwrap()));
    assert!(!host.contains("fd00::2".parse().unwrap()));
    assert_eq!(
        "10.0.0.1/8".parse::<IpNet>(),
        Err(IpNetError::HostBits {
            network: "10.0.0.0/8".parse().unwrap()
        })
    );
    assert_eq!(
        "10.0.0.0/33".parse::<IpNet>(),
        Err(IpNetError::PrefixTooLong { max: 32 })
    );
    for bad in ["10.0.0.0", "10.0.0.0/", "10.0.0.0/+8", "x/8", "fd00::/129x"] {
        assert!(bad.parse::<IpNet>().is_err(), "{bad}");
    }
}

#[test]
fn internal_ranges_cover_only_ranges_inside_them() {
    let covering = |text: &str| internal_covering(&text.parse().unwrap());
    assert_eq!(covering("127.0.0.0/8"), Some(Internal::Loopback));
    assert_eq!(covering("127.1.0.0/16"), Some(Internal::Loopback));
    assert_eq!(covering("169.254.169.254/32"), Some(Internal::Metadata));
    assert_eq!(covering("169.254.0.0/16"), Some(Internal::LinkLocal));
    assert_eq!(covering("fe80::/64"), Some(Internal::LinkLocal));
    assert_eq!(covering("::1/128"), Some(Internal::Loopback));
    assert_eq!(covering("::/128"), Some(Internal::Unspecified));
    assert_eq!(covering("0.0.0.0/0"), None);
    assert_eq!(covering("10.0.0.0/8"), None);
    assert_eq!(covering("fd00::/8"), None);
}
