use std::path::PathBuf;

use cowork_core::Skill;

use super::commands::{parse_invocation, skill_invocation};

#[test]
fn a_prompt_starting_with_a_name_is_an_invocation_and_a_path_is_not() {
    assert_eq!(
        parse_invocation("/productivity:standup yesterday and today"),
        Some(("productivity:standup", "yesterday and today"))
    );
    assert_eq!(parse_invocation("  /standup"), Some(("standup", "")));
    assert_eq!(parse_invocation("/home/me/notes.md summarise it"), None);
    assert_eq!(parse_invocation("/ nothing"), None);
    assert_eq!(parse_invocation("summarise /notes"), None);
}

#[test]
fn a_skill_run_by_name_gets_its_arguments_in_place_or_appended() {
    let skill = Skill {
        qualified: "kit:report".into(),
        description: "Reports.".into(),
        argument_hint: None,
        user_invocable: true,
        dir: PathBuf::from("/plugins/kit/skills/report"),
        body: "Write a report on $ARGUMENTS.".into(),
    };
    assert_eq!(
        skill_invocation(&skill, "sales"),
        "Base directory for this skill: /plugins/kit/skills/report\n\nWrite a report on sales."
    );
    let plain = Skill {
        body: "Write a report.".into(),
        ..skill
    };
    assert!(skill_invocation(&plain, "sales").ends_with("Write a report.\n\nARGUMENTS: sales"));
}
