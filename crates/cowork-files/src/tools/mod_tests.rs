use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only deserialized, to test error messages")]
struct Sample {
    name: String,
    #[serde(default)]
    count: Option<usize>,
}

fn message(input: serde_json::Value) -> String {
    parse::<Sample>("Sample", &input).unwrap_err().to_string()
}

#[test]
fn a_wrong_type_names_the_field_and_the_expected_type() {
    let msg = message(json!({"name": "x", "count": "three"}));
    assert!(msg.contains("`count`") && msg.contains("usize"), "{msg}");
}

#[test]
fn a_missing_or_unknown_field_is_named() {
    assert!(message(json!({})).contains("`name`"));
    let msg = message(json!({"name": "x", "cuont": 1}));
    assert!(msg.contains("`cuont`"), "{msg}");
}

#[test]
fn arguments_that_are_not_an_object_are_refused_plainly() {
    assert!(message(json!([1])).contains("JSON object, not an array"));
}

#[test]
fn long_lines_are_cut_on_a_character_boundary() {
    let line = "é".repeat(MAX_LINE_CHARS + 5);
    let cut = clip_line(&line);
    assert!(cut.starts_with(&"é".repeat(MAX_LINE_CHARS)));
    assert!(cut.ends_with(&format!("[line cut: {} characters]", MAX_LINE_CHARS + 5)));
    assert_eq!(clip_line("short"), "short");
}

#[test]
fn sizes_and_counts_read_naturally() {
    assert_eq!(human_size(812), "812 B");
    assert_eq!(human_size(12_697), "12.4 KiB");
    assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
    assert_eq!(thousands(48_213), "48,213");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000_000), "1,000,000");
}

#[test]
fn every_spec_declares_its_effect_and_an_object_schema() {
    use cowork_protocol::Effect;
    let specs = FileTools::specs();
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, NAMES);
    let read: Vec<String> = FileTools::read_specs()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(read, ["Read", "LS", "Glob", "Grep"]);
    for spec in specs {
        let expected = match spec.name.as_str() {
            "Read" | "LS" | "Glob" | "Grep" => Effect::Read,
            "Delete" => Effect::Delete,
            _ => Effect::Write,
        };
        assert_eq!(spec.effect, expected, "{}", spec.name);
        assert_eq!(spec.input_schema["type"], "object", "{}", spec.name);
        assert_eq!(
            spec.input_schema["additionalProperties"], false,
            "{}",
            spec.name
        );
        assert!(
            spec.description.contains("connected folder"),
            "{}",
            spec.name
        );
    }
}
