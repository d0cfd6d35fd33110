//! Just enough `multipart/form-data` (RFC 7578) for a file upload form:
//! the parts of a body held in memory, each with its field name, file
//! name and bytes. Anything malformed is an error naming what is wrong.

/// One part of a form.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

/// The parts of `body`, sent with `content_type`.
pub(crate) fn parse<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, String> {
    let (kind, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!(
            "the upload came as {:?}, not as multipart/form-data: send the form with \
             enctype=\"multipart/form-data\"",
            kind.trim()
        ));
    }
    let boundary = params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or("the upload names no multipart boundary")?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let malformed = || "the upload is not well-formed multipart data".to_owned();
    let mut rest = body.strip_prefix(delimiter).ok_or_else(malformed)?;
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or_else(malformed)?;
        let end = find(rest, b"\r\n\r\n").ok_or_else(malformed)?;
        let head = std::str::from_utf8(&rest[..end]).map_err(|_| malformed())?;
        rest = &rest[end + 4..];
        let mut next = Vec::with_capacity(delimiter.len() + 2);
        next.extend_from_slice(b"\r\n");
        next.extend_from_slice(delimiter);
        let stop = find(rest, &next).ok_or_else(malformed)?;
        let data = &rest[..stop];
        rest = &rest[stop + next.len()..];
        let (name, filename) = disposition(head).ok_or_else(malformed)?;
        parts.push(Part {
            name,
            filename,
            data,
        });
    }
}

/// The field name and file name from a part's headers.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    let line = head.split("\r\n").find(|line| {
        line.split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let (_, value) = line.split_once(':')?;
    let mut name = None;
    let mut filename = None;
    for param in params(value) {
        match param {
            (key, value) if key.eq_ignore_ascii_case("name") => name = Some(value),
            (key, value) if key.eq_ignore_ascii_case("filename") => filename = Some(value),
            _ => {}
        }
    }
    Some((name?, filename))
}

/// `form-data; name="a"; filename="b \"c\".txt"` as key/value pairs, with
/// quoted values unescaped (browsers escape `"` and `\`, or percent-encode
/// `"` as `%22`).
fn params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        let mut has_value = false;
        for c in chars.by_ref() {
            match c {
                '=' => {
                    has_value = true;
                    break;
                }
                ';' => break,
                c => key.push(c),
            }
        }
        if key.is_empty() && !has_value {
            return out;
        }
        let mut value = String::new();
        // A bare word such as `form-data` has no value.
        if has_value && chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else if has_value {
            value = chars
                .by_ref()
                .take_while(|c| *c != ';')
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.push((key.trim().to_owned(), value.replace("%22", "\"")));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=----x1";

    #[test]
    fn a_file_and_a_field_are_read_with_their_names() {
        let body = b"------x1\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
------x1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n\
Content-Type: text/plain\r\n\r\nline 1\r\n--not the end\r\n------x1--\r\n";
        let parts = parse(TYPE, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"tok");
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".txt"));
        assert_eq!(parts[1].data, b"line 1\r\n--not the end");
    }

    #[test]
    fn a_body_that_is_not_multipart_is_refused_with_what_to_send() {
        let err = parse("application/x-www-form-urlencoded", b"a=b").unwrap_err();
        assert!(err.contains("multipart/form-data"), "{err}");
        assert!(parse("multipart/form-data", b"").is_err());
        // A truncated upload (no closing delimiter) is malformed, not a
        // shorter file.
        let cut = b"------x1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nhalf";
        assert!(parse(TYPE, cut).is_err());
    }
}
