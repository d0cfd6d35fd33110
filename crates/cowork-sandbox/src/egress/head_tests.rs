use super::*;

fn head(text: &str) -> Head {
    parse_head(text.as_bytes()).unwrap()
}

fn target(text: &str) -> Result<Target, String> {
    parse_target(&head(text))
}

#[test]
fn a_connect_head_parses_with_its_headers() {
    let parsed =
        head("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\nX-A:  b \r\n\r\n");
    assert_eq!(parsed.method, "CONNECT");
    assert_eq!(parsed.target, "example.org:443");
    assert_eq!(parsed.version, "HTTP/1.1");
    assert_eq!(parsed.headers.len(), 2);
    assert_eq!(parsed.headers[1].value, b"b");
    assert_eq!(parsed.values("host").unwrap(), ["example.org:443"]);
}

#[test]
fn bare_newline_line_ends_are_accepted() {
    assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\nbody", 0), Some(24));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nbody", 0), Some(18));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0), None);
    assert_eq!(
        head("GET http://a.org/ HTTP/1.0\nHost: a.org\n\n")
            .headers
            .len(),
        1
    );
}

#[test]
fn garbage_and_other_protocols_are_malformed() {
    for text in [
        "\u{16}\u{3}\u{1}\r\n\r\n",
        "hello\r\n\r\n",
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / SPDY/3\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
    ] {
        assert!(parse_head(text.as_bytes()).is_err(), "{text:?} parsed");
    }
    assert!(
        parse_head(b"GET / HTTP/2.0\r\n\r\n")
            .unwrap_err()
            .contains("HTTP/1.1")
    );
}

#[test]
fn connect_targets_need_host_and_port() {
    assert_eq!(
        target("CONNECT Example.org:443 HTTP/1.1\r\n\r\n"),
        Ok(Target::Connect {
            host: "Example.org".into(),
            port: 443
        })
    );
    assert_eq!(
        target("CONNECT [::1]:443 HTTP/1.1\r\n\r\n"),
        Ok(Target::Connect {
            host: "[::1]".into(),
            port: 443
        })
    );
    for bad in [
        "example.org",
        "example.org:",
        "example.org:99999",
        ":443",
        "a:b:443",
        "x:0",
    ] {
        let text = format!("CONNECT {bad} HTTP/1.1\r\n\r\n");
        assert!(target(&text).is_err(), "{bad} accepted");
    }
}

#[test]
fn absolute_http_urls_become_origin_form() {
    let cases = [
        ("http://a.org/x/y?q=1#frag", "a.org", 80, "/x/y?q=1"),
        ("http://a.org", "a.org", 80, "/"),
        ("http://a.org?q", "a.org", 80, "/?q"),
        ("HTTP://a.org:8080/p", "a.org", 8080, "/p"),
        ("http://[::1]/", "[::1]", 80, "/"),
    ];
    for (url, host, port, path) in cases {
        assert_eq!(
            target(&format!("GET {url} HTTP/1.1\r\n\r\n")),
            Ok(Target::Http {
                host: host.into(),
                port,
                path: path.into()
            }),
            "{url}"
        );
    }
}

#[test]
fn origin_form_https_urls_credentials_and_other_schemes_are_refused() {
    let refused = |target_text: &str| target(&format!("GET {target_text} HTTP/1.1\r\n\r\n"));
    assert!(refused("/index.html").unwrap_err().contains("egress proxy"));
    assert!(refused("https://a.org/").unwrap_err().contains("CONNECT"));
    assert!(refused("ftp://a.org/").is_err());
    assert!(refused("http://allowed.test@evil.org/").is_err());
    assert!(refused("a.org/x").is_err());
}

fn socket_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

#[test]
fn a_head_is_returned_with_the_bytes_sent_after_it() {
    use std::io::Write;
    let (mut client, server) = socket_pair();
    client
        .write_all(b"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\n\r\n\x16\x03\x01hello")
        .unwrap();
    let (head, early) = read_head(&server, Duration::from_secs(5)).unwrap();
    assert_eq!(head.target, "a.test:443");
    assert_eq!(early, b"\x16\x03\x01hello");
}

#[test]
fn a_head_trickling_in_byte_by_byte_is_reassembled() {
    use std::io::Write;
    let (mut client, server) = socket_pair();
    client.set_nodelay(true).unwrap();
    let writer = std::thread::spawn(move || {
        for byte in b"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n" {
            client.write_all(&[*byte]).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        client
    });
    let (head, early) = read_head(&server, Duration::from_secs(5)).unwrap();
    assert_eq!(head.headers.len(), 1);
    assert!(early.is_empty());
    drop(writer.join().unwrap());
}

#[test]
fn a_head_that_never_ends_times_out_instead_of_hanging() {
    use std::io::Write;
    let (mut client, server) = socket_pair();
    client
        .write_all(b"GET http://a.test/ HTTP/1.1\r\n")
        .unwrap();
    let started = Instant::now();
    let Err(HeadError::Malformed(problem)) = read_head(&server, Duration::from_millis(300)) else {
        panic!("no timeout");
    };
    assert!(problem.contains("no complete request head"), "{problem}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_connection_closed_before_any_byte_is_no_request() {
    let (client, server) = socket_pair();
    drop(client);
    assert!(matches!(
        read_head(&server, Duration::from_secs(5)),
        Err(HeadError::Closed)
    ));
}

#[test]
fn a_head_without_an_end_beyond_the_limit_is_refused() {
    use std::io::Write;
    let (mut client, server) = socket_pair();
    let writer = std::thread::spawn(move || {
        let _ = client.write_all(&vec![b'a'; MAX_HEAD + 5000]);
        client
    });
    let Err(HeadError::Malformed(problem)) = read_head(&server, Duration::from_secs(5)) else {
        panic!("accepted an endless head");
    };
    assert!(problem.contains("16 KiB"), "{problem}");
    drop(writer.join().unwrap());
}
