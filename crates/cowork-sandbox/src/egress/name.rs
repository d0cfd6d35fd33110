//! What counts as a domain name, for allowlist entries and request hosts
//! alike, so both sides of a match are judged by the same rules.

use std::fmt;
use std::net::IpAddr;

/// The longest domain name, without the trailing dot (RFC 1035).
const MAX_NAME: usize = 253;
/// The longest label (RFC 1035).
const MAX_LABEL: usize = 63;

/// What a host string is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// A DNS name, ASCII-lower-cased, without its trailing dot.
    Domain(String),
    /// An IP address in any notation a resolver would accept: dotted,
    /// bracketed IPv6, or the numeric forms `inet_aton` takes (`2130706433`,
    /// `0x7f.1`, `0177.0.0.1`).
    Ip,
    /// Neither.
    Invalid(NameProblem),
}

/// Why a string is not a domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// Nothing left once the trailing dot is removed.
    Empty,
    /// A character outside ASCII (internationalised names must be given in
    /// their punycode `xn--` form).
    NonAscii,
    /// Longer than 253 characters.
    TooLong,
    /// Two dots in a row, or a leading dot.
    EmptyLabel,
    /// A label longer than 63 characters.
    LabelTooLong {
        /// The label.
        label: String,
    },
    /// A character that may not appear in a host name.
    BadCharacter {
        /// The label holding it.
        label: String,
        /// The character.
        character: char,
    },
    /// A label that starts or ends with `-`.
    HyphenAtEdge {
        /// The label.
        label: String,
    },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty"),
            Self::NonAscii => f.write_str("it contains non-ASCII characters"),
            Self::TooLong => write!(f, "it is longer than {MAX_NAME} characters"),
            Self::EmptyLabel => f.write_str("it has an empty label (two dots in a row?)"),
            Self::LabelTooLong { label } => {
                write!(
                    f,
                    "the label `{label}` is longer than {MAX_LABEL} characters"
                )
            }
            Self::BadCharacter { label, character } => write!(
                f,
                "the label `{label}` contains `{}`; only letters, digits, `-` and `_` are allowed",
                character.escape_default()
            ),
            Self::HyphenAtEdge { label } => {
                write!(f, "the label `{label}` starts or ends with `-`")
            }
        }
    }
}

/// Classifies `host` (no port, no brackets removed).
pub(crate) fn classify(host: &str) -> HostKind {
    if host.starts_with('[') || host.contains(':') || host.parse::<IpAddr>().is_ok() {
        return HostKind::Ip;
    }
    if !host.is_ascii() {
        return HostKind::Invalid(NameProblem::NonAscii);
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if name.is_empty() {
        return HostKind::Invalid(NameProblem::Empty);
    }
    // Resolvers read a name whose last label is a number as an IPv4 address
    // (`0x7f.1`, `2130706433`), whatever the other labels look like: the
    // WHATWG URL standard's "ends in a number" rule.
    if name.rsplit('.').next().is_some_and(is_numeric_label) {
        return HostKind::Ip;
    }
    if name.len() > MAX_NAME {
        return HostKind::Invalid(NameProblem::TooLong);
    }
    for label in name.split('.') {
        if let Some(problem) = label_problem(label) {
            return HostKind::Invalid(problem);
        }
    }
    HostKind::Domain(name)
}

/// `localhost` or a name under it (already lower-cased, no trailing dot):
/// resolvers answer these from this machine (RFC 6761) without asking DNS.
pub(crate) fn is_localhost_name(domain: &str) -> bool {
    domain == "localhost" || domain.ends_with(".localhost")
}

/// Decimal, octal (leading 0, still digits) or `0x` hexadecimal.
fn is_numeric_label(label: &str) -> bool {
    let hex = label
        .strip_prefix("0x")
        .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()))
}

fn label_problem(label: &str) -> Option<NameProblem> {
    if label.is_empty() {
        return Some(NameProblem::EmptyLabel);
    }
    if label.len() > MAX_LABEL {
        return Some(NameProblem::LabelTooLong {
            label: label.to_owned(),
        });
    }
    // Underscores are not RFC 1123 host characters, but real hosts carry
    // them (service records, some CDNs) and resolvers accept them.
    if let Some(character) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Some(NameProblem::BadCharacter {
            label: label.to_owned(),
            character,
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some(NameProblem::HyphenAtEdge {
            label: label.to_owned(),
        });
    }
    None
}
