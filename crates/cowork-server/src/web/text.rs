//! Small wordings and encodings the pages share: HTML escaping for the
//! few fragments built outside templates, URL query encoding, human sizes.

use std::fmt::Write as _;

/// `text` with the characters that mean something in HTML (in text and in
/// quoted attributes) replaced by references.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` encoded for a URL's query string or path segment
/// (`application/x-www-form-urlencoded`, spaces as `+`).
pub(crate) fn url_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `text` encoded for one path segment: `+` would read as itself in a
/// path, so spaces become `%20`.
pub(crate) fn path_segment(text: &str) -> String {
    url_encode(text).replace('+', "%20")
}

/// The first line of `text`, cut to `max` characters, with an ellipsis
/// when there is more, so `ls` cannot stand for `ls\nrm -rf ~`.
pub(crate) fn first_line(text: &str, max: usize) -> String {
    let mut lines = text.lines();
    let line = lines.next().unwrap_or("");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    } else if lines.next().is_some() {
        format!("{line} …")
    } else {
        line.to_owned()
    }
}

/// At most `max` characters of `text`, with a note of what was left out.
pub(crate) fn capped(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}\n… and {rest} more characters", &text[..cut])
        }
    }
}

pub(crate) use cowork_protocol::words::bytes as human_bytes;

/// 850 → "850 ms", 12_300 → "12.3 s".
pub(crate) fn human_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// How long ago `then` was, both Unix milliseconds: "12 s ago".
pub(crate) fn ago(now_ms: i64, then_ms: i64) -> String {
    let secs = (now_ms - then_ms).max(0) / 1000;
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// `1 turn`, `2 turns`.
pub(crate) fn plural(n: u64, noun: &str) -> String {
    let mut out = n.to_string();
    let _ = write!(out, " {noun}{}", if n == 1 { "" } else { "s" });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_text_and_both_attribute_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn query_values_are_encoded_so_they_cannot_add_parameters() {
        assert_eq!(url_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(path_segment("a b+c"), "a%20b%2Bc");
    }

    #[test]
    fn a_first_line_says_when_more_is_hidden() {
        assert_eq!(first_line("ls\nrm -rf ~", 100), "ls …");
        assert_eq!(first_line("abcdef", 3), "abc…");
        assert_eq!(first_line("only", 100), "only");
    }

    #[test]
    fn capped_text_counts_what_it_left_out() {
        assert_eq!(capped("héllo", 10), "héllo");
        assert_eq!(capped("héllo", 2), "hé\n… and 3 more characters");
    }

    #[test]
    fn sizes_durations_and_ages_read_like_words() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_duration(850), "850 ms");
        assert_eq!(human_duration(12_300), "12.3 s");
        assert_eq!(human_duration(125_000), "2 min 5 s");
        assert_eq!(ago(100_000, 88_000), "12 s ago");
        assert_eq!(ago(0, 5_000), "0 s ago");
        assert_eq!(plural(1, "turn"), "1 turn");
        assert_eq!(plural(3, "turn"), "3 turns");
    }
}
