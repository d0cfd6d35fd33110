use super::*;

fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut parser = SseParser::default();
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(parser.feed(chunk));
    }
    out.extend(parser.finish());
    out
}

fn ev(event: Option<&str>, data: &str) -> SseEvent {
    SseEvent {
        event: event.map(str::to_owned),
        data: data.to_owned(),
    }
}

const STREAM: &str = ": keep-alive\nevent: a\nid: 7\nretry: 100\ndata: one\ndata:two\n\ndata: é€😀\n\nevent: last\ndata: end";

#[test]
fn lf_crlf_and_cr_line_endings_give_the_same_events() {
    let expected = vec![
        ev(Some("a"), "one\ntwo"),
        ev(None, "é€😀"),
        ev(Some("last"), "end"),
    ];
    assert_eq!(parse_all(&[STREAM.as_bytes()]), expected);
    let crlf = STREAM.replace('\n', "\r\n");
    assert_eq!(parse_all(&[crlf.as_bytes()]), expected);
    let cr = STREAM.replace('\n', "\r");
    assert_eq!(parse_all(&[cr.as_bytes()]), expected);
}

#[test]
fn every_split_point_gives_the_same_events() {
    for text in [
        STREAM.to_owned(),
        STREAM.replace('\n', "\r\n"),
        STREAM.replace('\n', "\r"),
    ] {
        let bytes = text.as_bytes();
        let whole = parse_all(&[bytes]);
        for cut in 0..=bytes.len() {
            assert_eq!(
                parse_all(&[&bytes[..cut], &bytes[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_all(&singles), whole);
    }
}

#[test]
fn a_cr_at_the_end_of_a_chunk_does_not_make_an_empty_line() {
    let events = parse_all(&[b"data: a\r", b"\ndata: b\r\n", b"\r\n"]);
    assert_eq!(events, vec![ev(None, "a\nb")]);
}

#[test]
fn an_event_name_without_data_is_not_dispatched() {
    assert_eq!(
        parse_all(&[b"event: ping\n\ndata: x\n\n"]),
        vec![ev(None, "x")]
    );
}

#[test]
fn an_empty_data_field_dispatches_an_empty_event() {
    assert_eq!(
        parse_all(&[b"data\n\ndata:\n\n"]),
        vec![ev(None, ""), ev(None, "")]
    );
}

#[test]
fn only_one_leading_space_is_stripped() {
    assert_eq!(
        parse_all(&[b"data:  two spaces\n\n"]),
        vec![ev(None, " two spaces")]
    );
}

#[test]
fn a_leading_byte_order_mark_is_ignored() {
    assert_eq!(
        parse_all(&[b"\xEF\xBB", b"\xBFdata: x\n\n"]),
        vec![ev(None, "x")]
    );
}

#[test]
fn finish_resets_the_parser_for_reuse() {
    let mut parser = SseParser::default();
    assert!(parser.feed(b"data: half").is_empty());
    assert_eq!(parser.finish(), Some(ev(None, "half")));
    assert_eq!(parser.finish(), None);
    assert_eq!(parser.feed(b"data: next\n\n"), vec![ev(None, "next")]);
}

#[test]
fn an_event_past_the_size_cap_is_dropped_and_reported() {
    // Regression: one endless `data:` line was buffered without bound.
    let mut parser = SseParser::default();
    let chunk = vec![b'x'; 1024 * 1024];
    assert!(parser.feed(b"data: ").is_empty());
    for _ in 0..=(MAX_EVENT_BYTES / chunk.len()) {
        assert!(parser.feed(&chunk).is_empty());
    }
    assert!(parser.overflowed());
    assert!(
        parser.feed(b"\n\ndata: later\n\n").is_empty(),
        "the rest is ignored"
    );
    assert_eq!(parser.finish(), None);
}
