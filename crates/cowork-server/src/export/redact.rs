//! Keeping secrets out of exports. Every export passes through one
//! [`Redactor`]: the model of the export is redacted as a whole (every
//! string in it, whatever field it sits in), and the rendered file once
//! more, so a field added later, or a format added later, cannot carry a
//! secret out.
//!
//! Two kinds of secrets are found: values the front knows to be secret
//! (API keys in the environment, connector headers and variables, OAuth
//! tokens), replaced wherever they occur, and well-known token shapes
//! (`sk-ant-…`, `sk-…`, `Bearer …`, `ghp_…`, `github_pat_…`, `xox?-…`,
//! `AKIA…`), replaced wherever they occur even when nobody said they were
//! secret.

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Known values shorter than this are not treated as secrets: replacing
/// every `1` or `true` would wreck the transcript and protect nothing.
pub const MIN_SECRET_CHARS: usize = 8;

/// A lower-case word shorter than this is a setting (`production`,
/// `completed`), not a credential.
const MIN_WORD_SECRET_CHARS: usize = 16;

/// Finds and replaces secrets. Cheap to clone; build one per export.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these known secret values (and the token shapes).
    /// Values too short or too plain to be credentials are ignored (see
    /// [`MIN_SECRET_CHARS`]); the rest are also matched as HTML and JSON
    /// would escape them.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut all: Vec<String> = Vec::new();
        for secret in secrets {
            let secret = secret.trim();
            if !is_credential_like(secret) {
                continue;
            }
            all.push(secret.to_owned());
            let html = crate::web::text::escape_html(secret);
            if html != secret {
                all.push(html);
            }
            if let Ok(json) = serde_json::to_string(secret) {
                let inner = json.trim_matches('"');
                if inner != secret {
                    all.push(inner.to_owned());
                }
            }
        }
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        Self { secrets: all }
    }

    /// How many known values (with their escaped forms) it looks for.
    pub fn known(&self) -> usize {
        self.secrets.len()
    }

    /// `text` with every known secret and every token shape replaced by
    /// [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        redact_shapes(&out)
    }

    /// Every string in `value` redacted, object keys included.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = self.redact(text),
            serde_json::Value::Array(items) => {
                for item in items {
                    self.redact_json(item);
                }
            }
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    self.redact_json(&mut item);
                    map.insert(self.redact(&key), item);
                }
            }
            serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
            }
        }
    }

    /// Whether `bytes` hold a secret anywhere (as text, however the rest
    /// decodes): a file that does is not embedded as it is.
    pub fn finds_secret(&self, bytes: &[u8]) -> bool {
        let text = String::from_utf8_lossy(bytes);
        self.secrets
            .iter()
            .any(|secret| text.contains(secret.as_str()))
            || redact_shapes(&text) != text
    }
}

fn is_credential_like(value: &str) -> bool {
    let chars = value.chars().count();
    if chars < MIN_SECRET_CHARS {
        return false;
    }
    let plain_word = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-' || c == ' ');
    !(plain_word && chars < MIN_WORD_SECRET_CHARS)
}

/// A token shape: a prefix and what may follow it.
struct Shape {
    prefix: &'static str,
    /// Matched without regard to case (`Bearer`, `bearer`).
    any_case: bool,
    body: fn(u8) -> bool,
    /// The fewest body characters that make it a token.
    min: usize,
    /// Keep the prefix and replace only the body (`Bearer [redacted]`).
    keep_prefix: bool,
}

fn key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn alnum_underscore(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn alnum_dash(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn upper_digit(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// RFC 6750's `b64token`.
fn bearer_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

const fn shape(prefix: &'static str, body: fn(u8) -> bool, min: usize) -> Shape {
    Shape {
        prefix,
        any_case: false,
        body,
        min,
        keep_prefix: false,
    }
}

/// Longer prefixes before the shorter ones they start with.
const SHAPES: &[Shape] = &[
    shape("sk-ant-", key_char, 8),
    shape("sk-", key_char, 16),
    shape("github_pat_", alnum_underscore, 20),
    shape("ghp_", alnum, 20),
    shape("gho_", alnum, 20),
    shape("ghu_", alnum, 20),
    shape("ghs_", alnum, 20),
    shape("ghr_", alnum, 20),
    shape("xoxa-", alnum_dash, 8),
    shape("xoxb-", alnum_dash, 8),
    shape("xoxp-", alnum_dash, 8),
    shape("xoxr-", alnum_dash, 8),
    shape("AKIA", upper_digit, 16),
    Shape {
        prefix: "Bearer ",
        any_case: true,
        body: bearer_char,
        min: 8,
        keep_prefix: true,
    },
];

/// `text` with every token shape replaced. A shape never starts inside
/// a word: `task-…` holds no `sk-` key, but `crm-ghp_…` holds a token.
fn redact_shapes(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let found = if at_word_start {
            SHAPES.iter().find_map(|shape| matches(shape, bytes, i))
        } else {
            None
        };
        match found {
            Some((body_start, end, keep_prefix)) => {
                let cut = if keep_prefix { body_start } else { i };
                out.push_str(&text[copied..cut]);
                out.push_str(REDACTED);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Where the token's body starts and ends if `shape` matches at `at`.
fn matches(shape: &Shape, bytes: &[u8], at: usize) -> Option<(usize, usize, bool)> {
    let prefix = shape.prefix.as_bytes();
    let candidate = bytes.get(at..at + prefix.len())?;
    let same = if shape.any_case {
        candidate.eq_ignore_ascii_case(prefix)
    } else {
        candidate == prefix
    };
    if !same {
        return None;
    }
    let body_start = at + prefix.len();
    let body_len = bytes[body_start..]
        .iter()
        .take_while(|b| (shape.body)(**b))
        .count();
    (body_len >= shape.min).then_some((body_start, body_start + body_len, shape.keep_prefix))
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
