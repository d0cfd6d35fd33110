use std::path::PathBuf;

use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{Effect, FolderGrant, PermissionMode};

use super::*;

fn folders() -> Vec<FolderGrant> {
    vec![
        FolderGrant {
            path: PathBuf::from("/home/me/notes"),
            read_only: false,
        },
        FolderGrant {
            path: PathBuf::from("/home/me/archive"),
            read_only: true,
        },
    ]
}

fn rule(action: RuleAction) -> Rule {
    Rule {
        action,
        tool: None,
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: None,
    }
}

fn p(s: &str) -> Vec<PathBuf> {
    vec![PathBuf::from(s)]
}

fn policy(mode: PermissionMode, rules: &[Rule]) -> Policy {
    Policy::new(mode, rules).unwrap()
}

#[test]
fn reads_run_freely_and_writes_ask_in_ask_mode() {
    let policy = policy(PermissionMode::Ask, &[]);
    let f = folders();
    assert_eq!(
        policy.decide("Read", Effect::Read, &p("/home/me/notes/a"), &f),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/notes/a"), &f),
        Verdict::Ask
    );
    assert_eq!(
        policy.decide("Delete", Effect::Delete, &p("/home/me/notes/a"), &f),
        Verdict::Ask
    );
}

#[test]
fn auto_mode_acts_inside_writable_folders_and_asks_outside_them() {
    let policy = policy(PermissionMode::Auto, &[]);
    let f = folders();
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/notes/a"), &f),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/archive/a"), &f),
        Verdict::Ask
    );
    assert_eq!(
        policy.decide("Fetch", Effect::Network, &[], &f),
        Verdict::Ask
    );
    assert_eq!(
        policy.decide("Bash", Effect::Execute, &[], &f),
        Verdict::Allow
    );
}

#[test]
fn plan_mode_refuses_every_change() {
    let policy = policy(PermissionMode::Plan, &[rule(RuleAction::Allow)]);
    let verdict = policy.decide("Write", Effect::Write, &p("/home/me/notes/a"), &folders());
    assert!(
        matches!(verdict, Verdict::Deny { ref by, .. } if by == "plan mode"),
        "{verdict:?}"
    );
    assert_eq!(
        policy.decide("Grep", Effect::Read, &[], &folders()),
        Verdict::Allow
    );
}

#[test]
fn deny_rules_win_over_allow_rules_and_modes() {
    let mut deny = rule(RuleAction::Deny);
    deny.path = Some("**/*.key".into());
    let policy = policy(PermissionMode::Auto, &[rule(RuleAction::Allow), deny]);
    let f = folders();
    let verdict = policy.decide("Read", Effect::Read, &p("/home/me/notes/id.key"), &f);
    assert!(
        matches!(verdict, Verdict::Deny { ref by, .. } if by.contains("rule 2")),
        "{verdict:?}"
    );
    // One forbidden path in a batch is enough.
    let batch = vec![
        PathBuf::from("/home/me/notes/a.txt"),
        PathBuf::from("/home/me/notes/b.key"),
    ];
    assert!(matches!(
        policy.decide("Move", Effect::Write, &batch, &f),
        Verdict::Deny { .. }
    ));
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/notes/a.txt"), &f),
        Verdict::Allow
    );
}

#[test]
fn rules_match_by_tool_effect_and_folder() {
    let mut allow_writes_in_notes = rule(RuleAction::Allow);
    allow_writes_in_notes.tool = Some("write".into());
    allow_writes_in_notes.folder = Some(PathBuf::from("/home/me/notes"));
    let mut deny_deletes = rule(RuleAction::Deny);
    deny_deletes.effect = Some(Effect::Delete);
    let policy = policy(PermissionMode::Ask, &[allow_writes_in_notes, deny_deletes]);
    let f = folders();
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/notes/x"), &f),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide("Edit", Effect::Write, &p("/home/me/notes/x"), &f),
        Verdict::Ask
    );
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/notesy/x"), &f),
        Verdict::Ask,
        "folder match is by component"
    );
    assert!(matches!(
        policy.decide("Delete", Effect::Delete, &p("/home/me/notes/x"), &f),
        Verdict::Deny { .. }
    ));
}

#[test]
fn an_invalid_glob_names_its_rule() {
    let mut bad = rule(RuleAction::Deny);
    bad.path = Some("a[".into());
    let err = Policy::new(PermissionMode::Ask, &[rule(RuleAction::Allow), bad]).unwrap_err();
    assert!(err.to_string().contains("rule 2"), "{err}");
}

#[test]
fn deny_rules_on_reading_paths_become_hidden_globs() {
    let mut by_glob = rule(RuleAction::Deny);
    by_glob.path = Some("**/*.key".into());
    let mut by_folder = rule(RuleAction::Deny);
    by_folder.folder = Some(PathBuf::from("/home/me/tax"));
    let mut writes_only = rule(RuleAction::Deny);
    writes_only.effect = Some(Effect::Write);
    writes_only.path = Some("**/*.md".into());
    let mut allow = rule(RuleAction::Allow);
    allow.path = Some("**".into());
    let hidden = hidden_paths(&[by_glob, by_folder, writes_only, allow]);
    assert_eq!(hidden, ["**/*.key", "/home/me/tax", "/home/me/tax/**"]);
}

/// Regression for "a read-only folder nested in a read-write one can be
/// written": `in_scope` accepted a path when ANY read-write grant held it.
#[test]
fn auto_mode_asks_for_a_read_only_folder_nested_in_a_writable_one() {
    let policy = policy(PermissionMode::Auto, &[]);
    let f = vec![
        FolderGrant {
            path: PathBuf::from("/home/me/x"),
            read_only: false,
        },
        FolderGrant {
            path: PathBuf::from("/home/me/x/sub"),
            read_only: true,
        },
    ];
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/x/sub/new.txt"), &f),
        Verdict::Ask
    );
    assert_eq!(
        policy.decide("Delete", Effect::Delete, &p("/home/me/x/sub"), &f),
        Verdict::Ask
    );
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/x/subway.txt"), &f),
        Verdict::Allow
    );
    // A batch with one path in the nested read-only folder asks too.
    let batch = vec![
        PathBuf::from("/home/me/x/a.txt"),
        PathBuf::from("/home/me/x/sub/b.txt"),
    ];
    assert_eq!(
        policy.decide("Move", Effect::Write, &batch, &f),
        Verdict::Ask
    );
}

/// Regression for "relative rule paths are accepted and never match".
#[test]
fn a_relative_rule_folder_or_glob_is_refused_naming_the_rule_and_the_fix() {
    let mut folder = rule(RuleAction::Deny);
    folder.folder = Some(PathBuf::from("private"));
    let err = Policy::new(PermissionMode::Ask, &[folder]).unwrap_err();
    assert!(
        err.to_string().contains("rule 1") && err.to_string().contains("absolute"),
        "{err}"
    );
    let mut glob = rule(RuleAction::Deny);
    glob.path = Some("private/*.txt".into());
    let err = Policy::new(PermissionMode::Ask, &[rule(RuleAction::Allow), glob]).unwrap_err();
    assert!(
        err.to_string().contains("rule 2") && err.to_string().contains("**"),
        "{err}"
    );
    let mut anywhere = rule(RuleAction::Deny);
    anywhere.path = Some("**/*.key".into());
    assert!(Policy::new(PermissionMode::Ask, &[anywhere]).is_ok());
}

#[test]
fn a_hidden_folder_whose_name_looks_like_a_glob_hides_exactly_itself() {
    let mut by_folder = rule(RuleAction::Deny);
    by_folder.folder = Some(PathBuf::from("/home/me/tax[2025]"));
    let hidden = hidden_paths(&[by_folder]);
    assert_eq!(
        hidden,
        ["/home/me/tax[[]2025[]]", "/home/me/tax[[]2025[]]/**"]
    );
    let glob = globset::Glob::new(&hidden[1]).unwrap().compile_matcher();
    assert!(glob.is_match("/home/me/tax[2025]/a.pdf"));
    assert!(!glob.is_match("/home/me/tax2/a.pdf"));
}

#[test]
fn every_deny_rule_with_a_path_protects_it_from_renaming() {
    let mut read_only_rule = rule(RuleAction::Deny);
    read_only_rule.tool = Some("Read".into());
    read_only_rule.folder = Some(PathBuf::from("/home/me/hr"));
    let mut allow = rule(RuleAction::Allow);
    allow.path = Some("**".into());
    let mut no_path = rule(RuleAction::Deny);
    no_path.tool = Some("Bash".into());
    let denied = denied_paths(&[read_only_rule.clone(), allow, no_path]);
    assert_eq!(denied, ["/home/me/hr", "/home/me/hr/**"]);
    assert!(hidden_paths(&[read_only_rule]).is_empty());
}

fn mcp(tool: &str, read_only_hint: bool) -> CallFacts<'_> {
    CallFacts {
        tool,
        effect: Effect::External,
        read_only_hint,
        paths: &[],
    }
}

#[test]
fn connector_tools_are_asked_for_in_ask_and_auto_mode_without_a_rule() {
    for mode in [PermissionMode::Ask, PermissionMode::Auto] {
        let policy = policy(mode, &[]);
        assert_eq!(
            policy.decide_call(&mcp("mcp__slack__post", true), &folders()),
            Verdict::Ask,
            "{mode:?}: a read-only hint alone is not trusted"
        );
    }
}

#[test]
fn a_tool_glob_matches_names_without_regard_to_case_and_exact_names_still_work() {
    let glob = Rule {
        tool: Some("MCP__Slack__*".into()),
        ..rule(RuleAction::Allow)
    };
    let policy = policy(PermissionMode::Ask, &[glob]);
    assert_eq!(
        policy.decide_call(&mcp("mcp__slack__post", false), &folders()),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide_call(&mcp("mcp__notion__search", false), &folders()),
        Verdict::Ask
    );
    let exact = Rule {
        tool: Some("write".into()),
        ..rule(RuleAction::Allow)
    };
    let policy = self::policy(PermissionMode::Ask, &[exact]);
    assert_eq!(
        policy.decide("Write", Effect::Write, &p("/home/me/notes/a"), &folders()),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide(
            "WriteAll",
            Effect::Write,
            &p("/home/me/notes/a"),
            &folders()
        ),
        Verdict::Ask,
        "an exact name is not a prefix"
    );
}

#[test]
fn a_server_rule_matches_that_servers_tools_only() {
    let by_server = Rule {
        server: Some("slack".into()),
        ..rule(RuleAction::Allow)
    };
    let policy = policy(PermissionMode::Auto, &[by_server]);
    let f = folders();
    assert_eq!(
        policy.decide_call(&mcp("mcp__slack__post", false), &f),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide_call(&mcp("mcp__slackbot__post", false), &f),
        Verdict::Ask
    );
    assert_eq!(policy.decide_call(&mcp("slack", false), &f), Verdict::Ask);
}

#[test]
fn a_deny_rule_on_a_server_wins_over_an_allow_rule_and_the_hint() {
    let rules = [
        Rule {
            tool: Some("mcp__*".into()),
            trust_read_only_hint: true,
            ..rule(RuleAction::Allow)
        },
        Rule {
            server: Some("bank".into()),
            ..rule(RuleAction::Deny)
        },
    ];
    let policy = policy(PermissionMode::Auto, &rules);
    assert!(matches!(
        policy.decide_call(&mcp("mcp__bank__balance", true), &folders()),
        Verdict::Deny { .. }
    ));
    assert_eq!(
        policy.decide_call(&mcp("mcp__notion__search", true), &folders()),
        Verdict::Allow
    );
}

#[test]
fn a_rule_trusting_the_read_only_hint_matches_only_tools_claiming_it() {
    let trusting = Rule {
        server: Some("notion".into()),
        trust_read_only_hint: true,
        ..rule(RuleAction::Allow)
    };
    let policy = policy(PermissionMode::Ask, &[trusting]);
    let f = folders();
    assert_eq!(
        policy.decide_call(&mcp("mcp__notion__search", true), &f),
        Verdict::Allow
    );
    assert_eq!(
        policy.decide_call(&mcp("mcp__notion__delete", false), &f),
        Verdict::Ask
    );
    // `decide` trusts no claim.
    assert_eq!(
        policy.decide("mcp__notion__search", Effect::External, &[], &f),
        Verdict::Ask
    );
}

#[test]
fn bad_connector_rules_are_errors_that_name_the_key() {
    let cases = [
        (
            Rule {
                trust_read_only_hint: true,
                ..rule(RuleAction::Deny)
            },
            "trust_read_only_hint",
        ),
        (
            Rule {
                server: Some(String::new()),
                ..rule(RuleAction::Allow)
            },
            "server",
        ),
        (
            Rule {
                server: Some("a__b".into()),
                ..rule(RuleAction::Allow)
            },
            "server",
        ),
        (
            Rule {
                tool: Some("mcp__[".into()),
                ..rule(RuleAction::Allow)
            },
            "tool",
        ),
    ];
    for (bad, field) in cases {
        let err = Policy::new(PermissionMode::Ask, &[bad]).unwrap_err();
        assert_eq!(err.field, field);
        assert!(err.to_string().starts_with("rule 1 in the configuration"));
    }
}

#[test]
fn a_deny_rule_naming_a_server_hides_no_path() {
    let rules = [Rule {
        server: Some("files".into()),
        path: Some("/home/me/**".into()),
        ..rule(RuleAction::Deny)
    }];
    assert!(hidden_paths(&rules).is_empty());
}

/// Found by the instructions work: in auto mode a task could write
/// `COWORK.md` in a trusted folder, and every later task would follow it.
#[test]
fn changing_a_folders_instructions_or_skills_always_asks_even_in_auto_mode_and_over_allow_rules() {
    let allow_all = rule(RuleAction::Allow);
    for rules in [vec![], vec![allow_all]] {
        let auto = policy(PermissionMode::Auto, &rules);
        for path in [
            "/home/me/notes/COWORK.md",
            "/home/me/notes/CLAUDE.md",
            "/home/me/notes/AGENTS.md",
            "/home/me/notes/.claude/skills/report/SKILL.md",
        ] {
            for effect in [Effect::Write, Effect::Delete] {
                assert_eq!(
                    auto.decide("Write", effect, &p(path), &folders()),
                    Verdict::Ask,
                    "{path} {effect:?} {rules:?}"
                );
            }
            assert_eq!(
                auto.decide("Read", Effect::Read, &p(path), &folders()),
                Verdict::Allow
            );
        }
        // Only at a folder's root do they steer its tasks.
        assert_eq!(
            auto.decide(
                "Write",
                Effect::Write,
                &p("/home/me/notes/drafts/COWORK.md"),
                &folders()
            ),
            Verdict::Allow
        );
    }
    // A deny rule and plan mode still refuse.
    let mut deny = rule(RuleAction::Deny);
    deny.path = Some("**/COWORK.md".into());
    assert!(matches!(
        policy(PermissionMode::Auto, &[deny]).decide(
            "Write",
            Effect::Write,
            &p("/home/me/notes/COWORK.md"),
            &folders()
        ),
        Verdict::Deny { .. }
    ));
    assert!(matches!(
        policy(PermissionMode::Plan, &[]).decide(
            "Write",
            Effect::Write,
            &p("/home/me/notes/COWORK.md"),
            &folders()
        ),
        Verdict::Deny { .. }
    ));
}
