use super::*;

#[test]
fn base64_decodes_every_padding_length() {
    assert_eq!(decode_base64("").unwrap(), b"");
    assert_eq!(decode_base64("Zg==").unwrap(), b"f");
    assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
    assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
    assert_eq!(decode_base64("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
    assert_eq!(decode_base64("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
}

#[test]
fn base64_refuses_what_is_not_padded_base64() {
    for bad in ["Zg", "Zg=", "Z===", "Zg==Zm9v", "Zm9v!", "Zm=v", "Zm9v\n"] {
        assert_eq!(decode_base64(bad), None, "{bad:?}");
    }
}

#[test]
fn an_answer_value_is_unwrapped() {
    let value = parse_answer("GET title", true, r#"{"value":"Home"}"#).unwrap();
    assert_eq!(value, "Home");
    let null = parse_answer("POST url", true, r#"{"value":null}"#).unwrap();
    assert_eq!(null, Value::Null);
}

#[test]
fn an_error_answer_keeps_the_command_code_and_message() {
    let text = r#"{"value":{"error":"no such element","message":"no such element: Unable to locate","stacktrace":""}}"#;
    let err = parse_answer("POST element", false, text).unwrap_err();
    let WebDriverError::Driver {
        command,
        code,
        message,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(command, "POST element");
    assert_eq!(code, "no such element");
    assert!(message.starts_with("no such element"), "{message}");
    // Turned into the error a test can match, naming the selector.
    let err = no_such_element(err, "#missing");
    assert_eq!(err.to_string(), "no element matches `#missing`");
}

#[test]
fn an_answer_that_is_not_json_is_unexpected_and_quoted() {
    let err = parse_answer("GET url", false, "<html>Bad Gateway</html>").unwrap_err();
    assert!(
        matches!(&err, WebDriverError::Unexpected { answer, .. } if answer.contains("Bad Gateway")),
        "{err:?}"
    );
}

#[test]
fn a_timeout_names_what_it_waited_for_and_the_last_error() {
    let err = WebDriverError::Timeout {
        what: "`#status` to read \"Done\"".to_owned(),
        after: Duration::from_secs(2),
        last: Some("no element matches `#status`".to_owned()),
    };
    assert_eq!(
        err.to_string(),
        "timed out after 2s waiting for `#status` to read \"Done\" \
         (last error: no element matches `#status`)"
    );
}
