use super::*;

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
