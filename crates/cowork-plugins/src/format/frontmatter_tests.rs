use super::*;

#[test]
fn yaml_errors_are_reported_on_the_line_of_the_markdown_file() {
    let text = "---\nname: x\ndescription: [unclosed\nother: 1\n---\nbody\n";
    let split = split(text, Path::new("SKILL.md")).unwrap();
    assert_eq!(split.body, "body\n");
    let error = parse(split.yaml.unwrap(), split.yaml_line, Path::new("SKILL.md")).unwrap_err();
    // The flow sequence opened on line 3 is found broken at line 4 or 5.
    let line = error.line.unwrap();
    assert!((3..=5).contains(&line), "{error}");
    assert!(error.message.contains("not valid YAML"), "{error}");
}

#[test]
fn a_frontmatter_that_never_closes_is_an_error_on_line_one() {
    let error = split("---\nname: x\n", Path::new("a.md")).unwrap_err();
    assert_eq!(error.line, Some(1));
}

#[test]
fn a_file_without_frontmatter_is_all_body() {
    let split = split("# Title\n---\n", Path::new("a.md")).unwrap();
    assert!(split.yaml.is_none());
    assert_eq!(split.body, "# Title\n---\n");
}

#[test]
fn key_lines_are_found_plain_or_quoted_and_offset_into_the_file() {
    let yaml = "name: a\n\"description\": b\nnested:\n  name: c\n";
    assert_eq!(key_line(yaml, 2, "name"), Some(2));
    assert_eq!(key_line(yaml, 2, "description"), Some(3));
    assert_eq!(key_line(yaml, 2, "missing"), None);
}

#[test]
fn tool_lists_split_on_commas_or_spaces_outside_parentheses() {
    assert_eq!(
        split_names("Read, Grep, Bash(git add:*, npm:*)"),
        ["Read", "Grep", "Bash(git add:*, npm:*)"]
    );
    assert_eq!(
        split_names("Bash(git status:*) Read"),
        ["Bash(git status:*)", "Read"]
    );
    assert_eq!(split_names("Read"), ["Read"]);
}
