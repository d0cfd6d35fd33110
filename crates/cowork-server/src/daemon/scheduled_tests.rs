use cowork_core::{Policy, Verdict};
use cowork_protocol::config::Rule;
use cowork_protocol::{Effect, PermissionMode};

fn verdict(rule: &Rule, tool: &str) -> Verdict {
    Policy::with_task_rules(PermissionMode::Ask, &[], std::slice::from_ref(rule))
        .unwrap()
        .decide(tool, Effect::External, &[], &[])
}

#[test]
fn an_allow_for_the_schedule_rule_allows_its_tool_and_no_other() {
    let rule = cowork_core::exact_tool_rule("Write");
    assert_eq!(verdict(&rule, "Write"), Verdict::Allow);
    assert_eq!(verdict(&rule, "Delete"), Verdict::Ask);
    assert_eq!(verdict(&rule, "WriteMany"), Verdict::Ask);
}

/// Regression: the rule's tool is a glob, so a tool whose name holds glob
/// characters (an MCP server names its tools) must not turn the answer
/// for one tool into an answer for many.
#[test]
fn glob_characters_in_a_tool_name_allow_only_that_tool() {
    for name in [
        "mcp__odd__*",
        "mcp__odd__do?",
        "mcp__odd__[ab]",
        "mcp__odd__{a,b}",
    ] {
        let rule = cowork_core::exact_tool_rule(name);
        assert_eq!(verdict(&rule, name), Verdict::Allow, "{name}");
        for other in [
            "mcp__odd__delete_everything",
            "mcp__odd__dox",
            "mcp__odd__a",
        ] {
            assert_eq!(
                verdict(&rule, other),
                Verdict::Ask,
                "{name} allowed {other}"
            );
        }
    }
}
