use super::*;

fn none() -> Redactor {
    Redactor::new(Vec::new())
}

#[test]
fn every_well_known_token_shape_is_redacted_without_being_declared() {
    let tokens = [
        "sk-ant-api03-AbCdEf0123456789_xyz",
        "sk-proj-AbCdEf0123456789AbCdEf",
        "sk-0123456789abcdefABCDEF",
        "ghp_0123456789abcdefABCDEF0123456789ab",
        "gho_0123456789abcdefABCDEF0123",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "xoxb-1234-5678-abcdefgh",
        "xoxp-1234-5678-abcdefgh",
        "xoxa-2-abcdefgh123",
        "xoxr-abcdefgh12345",
        "AKIAIOSFODNN7EXAMPLE",
    ];
    for token in tokens {
        let text = format!("key: {token}, done");
        let out = none().redact(&text);
        assert_eq!(out, "key: [redacted], done", "{token}");
    }
}

#[test]
fn a_token_glued_to_a_name_by_punctuation_is_still_redacted() {
    // Regression: `crm-ghp_…` (a connector named after its token) came
    // out whole when a dash counted as part of the word before the token.
    assert_eq!(
        none().redact("crm-ghp_0123456789abcdefABCDEF0123456789ab"),
        "crm-[redacted]"
    );
    assert_eq!(
        none().redact("key=sk-ant-api03-abcdefgh123"),
        "key=[redacted]"
    );
}

#[test]
fn a_bearer_token_keeps_its_scheme_and_loses_its_value() {
    let out = none().redact("Authorization: Bearer abc.DEF-123_456/+=\nnext");
    assert_eq!(out, "Authorization: Bearer [redacted]\nnext");
    assert_eq!(
        none().redact("authorization: bearer abcdefgh1234"),
        "authorization: bearer [redacted]"
    );
}

#[test]
fn words_that_merely_contain_a_prefix_are_left_alone() {
    for text in [
        "task-0123456789abcdef0123 is done",
        "risk-assessment-of-the-quarterly-plan",
        "the sk-learn library",
        "Bearer of bad news",
        "AKIA is short",
        "ghp_short",
    ] {
        assert_eq!(none().redact(text), text);
    }
}

#[test]
fn known_secret_values_are_replaced_wherever_they_occur() {
    let redactor = Redactor::new(["plain-secret-value-42".to_owned()]);
    let out = redactor.redact("a plain-secret-value-42 b\"plain-secret-value-42\"");
    assert_eq!(out, "a [redacted] b\"[redacted]\"");
}

#[test]
fn known_secrets_are_matched_as_html_and_json_escape_them() {
    let redactor = Redactor::new(["pa&ss\"word<42>".to_owned()]);
    assert_eq!(
        redactor.redact("x pa&amp;ss&quot;word&lt;42&gt; y"),
        "x [redacted] y"
    );
    assert_eq!(redactor.redact(r#"x pa&ss\"word<42> y"#), "x [redacted] y");
}

#[test]
fn short_or_plain_word_values_are_not_taken_for_secrets() {
    let redactor = Redactor::new(
        ["1", "true", "production", "completed"]
            .into_iter()
            .map(str::to_owned),
    );
    assert_eq!(redactor.known(), 0);
    let text = "production run completed: 1 true";
    assert_eq!(redactor.redact(text), text);
}

#[test]
fn every_string_of_a_json_value_is_redacted_keys_included() {
    let redactor = Redactor::new(["Zq9-secret-77".to_owned()]);
    let mut value = serde_json::json!({
        "a": ["x Zq9-secret-77", {"deep": "sk-ant-0123456789abc"}],
        "Zq9-secret-77": 1,
        "n": 3
    });
    redactor.redact_json(&mut value);
    assert_eq!(
        value,
        serde_json::json!({
            "a": ["x [redacted]", {"deep": "[redacted]"}],
            "[redacted]": 1,
            "n": 3
        })
    );
}

#[test]
fn secrets_are_found_in_bytes_that_are_not_text() {
    let redactor = Redactor::new(["Zq9-secret-77".to_owned()]);
    let mut bytes = vec![0xff, 0x00, 0x89];
    bytes.extend_from_slice(b"Zq9-secret-77");
    assert!(redactor.finds_secret(&bytes));
    assert!(none().finds_secret(b"\x00\xffghp_0123456789abcdefABCDEF01"));
    assert!(!redactor.finds_secret(b"\x00\xffnothing here"));
}
