use super::*;
use crate::egress::head::parse_head;

fn head(text: &str) -> Head {
    parse_head(text.as_bytes()).unwrap()
}

#[test]
fn the_upstream_head_is_origin_form_without_proxy_headers() {
    let request = head(
        "POST http://Allowed.test/a?b=1 HTTP/1.1\r\n\
         Host: evil.test\r\n\
         Proxy-Authorization: Basic eA==\r\n\
         Proxy-Connection: keep-alive\r\n\
         Connection: keep-alive, X-Secret\r\n\
         X-Secret: 1\r\n\
         Keep-Alive: timeout=5\r\n\
         Content-Length: 3\r\n\
         Accept: */*\r\n\r\n",
    );
    let out = String::from_utf8(origin_head(&request, "allowed.test", "/a?b=1")).unwrap();
    assert_eq!(
        out,
        "POST /a?b=1 HTTP/1.1\r\n\
         Host: allowed.test\r\n\
         Content-Length: 3\r\n\
         Accept: */*\r\n\
         Connection: close\r\n\r\n"
    );
}

#[test]
fn connection_cannot_strip_the_framing_headers() {
    let request = head(
        "POST http://a.test/ HTTP/1.1\r\nConnection: content-length, transfer-encoding\r\n\
         Content-Length: 2\r\n\r\n",
    );
    let out = String::from_utf8(origin_head(&request, "a.test", "/")).unwrap();
    assert!(out.contains("Content-Length: 2\r\n"), "{out}");
}

#[test]
fn body_framing_follows_the_headers_and_refuses_ambiguity() {
    let framing =
        |headers: &str| body_framing(&head(&format!("POST http://a/ HTTP/1.1\r\n{headers}\r\n")));
    assert_eq!(framing(""), Ok(Framing::Empty));
    assert_eq!(framing("Content-Length: 12\r\n"), Ok(Framing::Length(12)));
    assert_eq!(
        framing("Content-Length: 12\r\nContent-Length: 12\r\n"),
        Ok(Framing::Length(12))
    );
    assert_eq!(
        framing("Transfer-Encoding: gzip, Chunked\r\n"),
        Ok(Framing::Chunked)
    );
    for bad in [
        "Content-Length: 12\r\nContent-Length: 13\r\n",
        "Content-Length: +12\r\n",
        "Content-Length: \r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Transfer-Encoding: gzip\r\n",
    ] {
        assert!(framing(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn chunk_sizes_are_hex_with_optional_extensions() {
    assert_eq!(chunk_size(b"1a\r\n").unwrap(), 26);
    assert_eq!(chunk_size(b"0;name=value\r\n").unwrap(), 0);
    assert!(chunk_size(b"\r\n").is_err());
    assert!(chunk_size(b"-1\r\n").is_err());
    assert!(chunk_size(b"fffffffffffffffff\r\n").is_err());
}
