use super::*;

#[test]
fn arguments_fill_all_and_positional_placeholders() {
    let template = "Review $1 against $2 (all: $ARGUMENTS; third: [$3])";
    assert_eq!(
        render_command(template, " src/a.rs 'the style guide' "),
        "Review src/a.rs against the style guide (all: src/a.rs 'the style guide'; third: [])"
    );
}

#[test]
fn indexed_arguments_count_from_zero() {
    assert_eq!(
        render_command("$ARGUMENTS[0]-$ARGUMENTS[1]-$ARGUMENTS[5]", "a b"),
        "a-b-"
    );
}

#[test]
fn arguments_are_appended_when_the_template_has_no_placeholder() {
    assert_eq!(
        render_command("Do the standup.\n", "yesterday"),
        "Do the standup.\n\nARGUMENTS: yesterday\n"
    );
    assert_eq!(
        render_command("Do the standup.\n", "  "),
        "Do the standup.\n"
    );
}

#[test]
fn dollar_signs_that_are_not_placeholders_stay() {
    assert_eq!(
        render_command("$0 or $$ or $X; $10", "a"),
        "$0 or $$ or $X; a0"
    );
    // `$5` is the fifth argument even in prose, as in Claude Code.
    assert_eq!(render_command("costs $5", "a"), "costs ");
}

#[test]
fn shell_words_respect_quotes_and_escapes() {
    assert_eq!(
        shell_words(r#"one "two three" 'four "five"' six\ seven "a\"b" 'unclosed rest"#),
        [
            "one",
            "two three",
            "four \"five\"",
            "six seven",
            "a\"b",
            "unclosed rest"
        ]
    );
    assert!(shell_words("   ").is_empty());
    assert_eq!(shell_words("''"), [""]);
}

#[test]
fn inline_bash_is_not_run_and_the_model_is_told() {
    let out = render_command("Changed files: !`git diff --name-only`\nSummarize.", "");
    assert!(out.starts_with("Changed files: !`git diff --name-only`\nSummarize."));
    assert!(out.contains("cowork did not run them"), "{out}");
    assert!(!render_command("Plain `code` here", "").contains("did not run"));
}
