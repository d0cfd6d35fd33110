use super::*;
use crate::egress::address::Internal;

fn parse(spec: &str) -> Allowlist {
    Allowlist::parse(spec).unwrap()
}

fn error(spec: &str) -> AllowlistError {
    Allowlist::parse(spec).unwrap_err()
}

#[test]
fn an_exact_entry_matches_only_that_host() {
    let list = parse("example.org");
    assert!(list.allows("example.org"));
    assert!(!list.allows("www.example.org"));
    assert!(!list.allows("example.org.evil.com"));
    assert!(!list.allows("notexample.org"));
    assert!(!list.allows("example.com"));
}

#[test]
fn a_wildcard_matches_subdomains_at_any_depth_but_not_the_parent() {
    let list = parse("*.pypi.org");
    assert!(list.allows("files.pypi.org"));
    assert!(list.allows("a.b.pypi.org"));
    assert!(!list.allows("pypi.org"));
    assert!(!list.allows("evilpypi.org"));
    assert!(!list.allows("pypi.org.evil.com"));
}

#[test]
fn matching_ignores_case_and_a_trailing_dot_on_both_sides() {
    let list = parse("Example.ORG., *.PyPI.org");
    assert!(list.allows("EXAMPLE.org"));
    assert!(list.allows("example.org."));
    assert!(list.allows("Files.PYPI.org."));
    assert_eq!(list.to_string(), "example.org, *.pypi.org");
}

#[test]
fn whitespace_around_entries_is_tolerated_and_duplicates_dropped() {
    let list = parse("  example.org ,\t*.pypi.org,example.org  ");
    assert_eq!(
        list.entries(),
        &[
            AllowEntry::Exact("example.org".into()),
            AllowEntry::Subdomains("pypi.org".into())
        ]
    );
}

#[test]
fn display_lists_entries_as_written_normalised() {
    let list: Allowlist = "example.org,*.pypi.org".parse().unwrap();
    assert_eq!(list.to_string(), "example.org, *.pypi.org");
}

#[test]
fn ip_literals_are_never_allowed_even_in_odd_notations() {
    let list = parse("example.org");
    for host in [
        "1.2.3.4",
        "[::1]",
        "::1",
        "0x7f.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f000001",
        "127.1",
    ] {
        assert!(!list.allows(host), "{host} passed");
    }
}

#[test]
fn an_empty_value_is_rejected() {
    assert_eq!(error(""), AllowlistError::NoEntries);
    assert_eq!(error("  "), AllowlistError::NoEntries);
}

#[test]
fn an_empty_entry_is_rejected_with_its_position() {
    assert_eq!(
        error("example.org,,b.org"),
        AllowlistError::EmptyEntry { position: 2 }
    );
    assert_eq!(
        error("example.org,"),
        AllowlistError::EmptyEntry { position: 2 }
    );
    assert!(error("a.org, ,b.org").to_string().contains("extra comma"));
}

#[test]
fn ip_addresses_are_rejected() {
    for entry in [
        "1.2.3.4",
        "::1",
        "[::1]",
        "2001:db8::1",
        "*.1.2.3.4",
        "0x7f.1",
    ] {
        let err = error(entry);
        assert!(
            matches!(err, AllowlistError::IpAddress { .. }),
            "{entry}: {err:?}"
        );
        assert!(err.to_string().contains(entry), "{err}");
    }
}

#[test]
fn a_port_is_rejected_saying_ports_are_not_configurable() {
    let err = error("example.org:8080");
    assert_eq!(
        err,
        AllowlistError::Port {
            entry: "example.org:8080".into(),
            host: "example.org".into()
        }
    );
    let text = err.to_string();
    assert!(text.contains("example.org:8080"), "{text}");
    assert!(text.contains("port 80"), "{text}");
    assert!(text.contains("443"), "{text}");
}

#[test]
fn urls_are_rejected_with_the_domain_to_write_instead() {
    let err = error("https://x.org/");
    assert_eq!(
        err,
        AllowlistError::Url {
            entry: "https://x.org/".into(),
            host: "x.org".into()
        }
    );
    assert!(err.to_string().contains("write just the domain: `x.org`"));
    assert!(matches!(error("x.org/simple"), AllowlistError::Url { .. }));
    assert!(matches!(
        error("http://user@X.org:8080/a?b"),
        AllowlistError::Url { host, .. } if host == "x.org"
    ));
}

#[test]
fn a_bare_wildcard_is_rejected() {
    assert_eq!(error("*"), AllowlistError::BareWildcard);
    assert_eq!(error("example.org, *"), AllowlistError::BareWildcard);
}

#[test]
fn wildcards_anywhere_but_the_first_label_are_rejected() {
    for entry in ["a.*.org", "*example.org", "ex*.org", "*.*.org", "example.*"] {
        assert_eq!(
            error(entry),
            AllowlistError::MisplacedWildcard {
                entry: entry.into()
            },
            "{entry}"
        );
    }
}

#[test]
fn non_ascii_names_are_rejected_pointing_at_punycode() {
    let err = error("bücher.de");
    assert_eq!(
        err,
        AllowlistError::NonAscii {
            entry: "bücher.de".into()
        }
    );
    assert!(err.to_string().contains("xn--"));
    assert!(parse("xn--bcher-kva.de").allows("XN--BCHER-KVA.de"));
}

#[test]
fn invalid_label_characters_and_lengths_are_rejected() {
    let long_label = "a".repeat(64);
    let long_name = ["abcdefghi"; 26].join(".");
    let cases = [
        "exa mple.org",
        "exa!mple.org",
        "-example.org",
        "example-.org",
        "example..org",
        ".example.org",
        ".",
    ];
    for entry in cases {
        assert!(
            matches!(error(entry), AllowlistError::InvalidName { .. }),
            "{entry}"
        );
    }
    assert!(matches!(
        error(&format!("{long_label}.org")),
        AllowlistError::InvalidName {
            problem: NameProblem::LabelTooLong { .. },
            ..
        }
    ));
    assert!(matches!(
        error(&long_name),
        AllowlistError::InvalidName {
            problem: NameProblem::TooLong,
            ..
        }
    ));
    let text = error("exa!mple.org").to_string();
    assert!(
        text.contains("exa!mple.org") && text.contains('!'),
        "{text}"
    );
}

#[test]
fn the_longest_valid_label_and_single_label_intranet_names_are_accepted() {
    let label = "a".repeat(63);
    assert!(parse(&format!("{label}.org")).allows(&format!("{label}.org")));
    assert!(parse("wiki").allows("wiki"));
    assert!(parse("my_service.corp").allows("my_service.corp"));
}

#[test]
fn one_bad_entry_rejects_the_whole_list() {
    assert!(matches!(
        error("example.org, 10.0.0.1"),
        AllowlistError::IpAddress { entry } if entry == "10.0.0.1"
    ));
}

#[test]
fn cidr_entries_widen_where_names_lead_but_allow_no_host_themselves() {
    let list = parse("intranet.corp, 10.0.0.0/8, fd00::/8");
    assert_eq!(
        list.ranges(),
        vec![
            "10.0.0.0/8".parse::<IpNet>().unwrap(),
            "fd00::/8".parse().unwrap()
        ]
    );
    assert!(list.allows("intranet.corp"));
    for host in ["10.0.0.1", "10.1.2.3", "[fd00::1]", "fd00::1", "0xa.1"] {
        assert!(!list.allows(host), "{host} passed");
    }
    assert_eq!(list.to_string(), "intranet.corp, 10.0.0.0/8, fd00::/8");
}

#[test]
fn a_list_of_only_ranges_is_rejected_because_it_allows_nothing() {
    assert_eq!(error("10.0.0.0/8"), AllowlistError::NoDomains);
    assert_eq!(error("10.0.0.0/8, fd00::/8"), AllowlistError::NoDomains);
    assert!(error("10.0.0.0/8").to_string().contains("list the domains"));
}

#[test]
fn a_range_with_host_bits_names_the_range_meant() {
    let err = error("intranet.corp, 10.1.2.3/8");
    assert!(
        matches!(&err, AllowlistError::InvalidRange { entry, .. } if entry == "10.1.2.3/8"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`10.0.0.0/8`"), "{err}");
    assert!(matches!(
        error("a.org, 10.0.0.0/40"),
        AllowlistError::InvalidRange { .. }
    ));
}

#[test]
fn ranges_of_only_this_machine_its_link_or_metadata_are_rejected() {
    for (entry, kind) in [
        ("127.0.0.0/8", Internal::Loopback),
        ("127.0.0.1/32", Internal::Loopback),
        ("169.254.0.0/16", Internal::LinkLocal),
        ("169.254.169.254/32", Internal::Metadata),
        ("::1/128", Internal::Loopback),
        ("fe80::/10", Internal::LinkLocal),
        ("fd00:ec2::254/128", Internal::Metadata),
        ("224.0.0.0/4", Internal::Multicast),
        ("0.0.0.0/8", Internal::Unspecified),
    ] {
        let err = error(&format!("a.org,{entry}"));
        assert_eq!(
            err,
            AllowlistError::NeverAllowedRange {
                entry: entry.into(),
                kind
            },
            "{entry}"
        );
        assert!(err.to_string().contains("never reaches"), "{err}");
    }
}

#[test]
fn ipv6_ranges_of_embedded_ipv4_point_at_the_ipv4_range() {
    for entry in ["::ffff:10.0.0.0/104", "64:ff9b::/96", "2002:a00::/24"] {
        assert_eq!(
            error(&format!("a.org,{entry}")),
            AllowlistError::EmbeddedRange {
                entry: entry.into()
            },
            "{entry}"
        );
    }
}

#[test]
fn localhost_names_cannot_be_listed() {
    for entry in ["localhost", "LOCALHOST.", "*.localhost", "app.localhost"] {
        assert_eq!(
            error(entry),
            AllowlistError::Localhost {
                entry: entry.into()
            },
            "{entry}"
        );
    }
    assert!(parse("notlocalhost.org").allows("notlocalhost.org"));
}

#[test]
fn a_bare_ip_entry_mentions_ranges_for_private_networks() {
    let text = error("a.org,10.0.0.1").to_string();
    assert!(text.contains("`10.0.0.1` is an IP address"), "{text}");
    assert!(text.contains("10.0.0.0/8"), "{text}");
}
