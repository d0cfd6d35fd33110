//! `application/x-www-form-urlencoded`, which token, revocation and
//! callback requests use (reqwest's own is behind a feature we leave off).

/// `k=v&k2=v2`, each side percent-encoded as the HTML form rules say.
pub(crate) fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        push_encoded(&mut out, key);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// One percent-encoded component (for HTTP Basic, RFC 6749 §2.3.1).
pub(crate) fn component(text: &str) -> String {
    let mut out = String::new();
    push_encoded(&mut out, text);
    out
}

fn push_encoded(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => {
                out.push('%');
                out.push_str(&format!("{other:02X}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_percent_encoded_and_spaces_become_plus() {
        assert_eq!(
            encode(&[
                ("scope", "read write"),
                ("redirect_uri", "http://127.0.0.1:9/cb?x=1&y")
            ]),
            "scope=read+write&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb%3Fx%3D1%26y"
        );
    }

    #[test]
    fn encoded_pairs_round_trip_through_a_url_parser() {
        let body = encode(&[("a", "é+ü/="), ("b", "")]);
        let url = reqwest::Url::parse(&format!("http://x/?{body}")).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [("a".into(), "é+ü/=".into()), ("b".into(), String::new())]
        );
    }
}
