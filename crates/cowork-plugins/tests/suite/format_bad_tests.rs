//! Bad components are skipped with a diagnostic naming their file and
//! line, while the rest of the plugin loads.

use std::path::{Path, PathBuf};

use cowork_plugins::format::{LoadError, Plugin, load_plugin};
use cowork_plugins::{Diagnostic, Severity};

pub(super) struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A plugin with one good skill, command and agent.
    pub(super) fn new() -> Self {
        let fixture = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        fixture.write(
            ".claude-plugin/plugin.json",
            r#"{"name": "demo", "version": "1.0.0"}"#,
        );
        fixture.write(
            "skills/good/SKILL.md",
            "---\nname: good\ndescription: A good skill.\n---\nDo good.\n",
        );
        fixture.write("skills/good/references/notes.md", "notes\n");
        fixture.write(
            "commands/hello.md",
            "---\ndescription: Say hello\n---\nHello $1\n",
        );
        fixture.write(
            "agents/helper.md",
            "---\nname: helper\ndescription: Helps.\nmodel: inherit\n---\nYou help.\n",
        );
        fixture
    }

    pub(super) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(super) fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub(super) fn load(&self) -> (Plugin, Vec<Diagnostic>) {
        load_plugin(self.root()).unwrap()
    }
}

fn only(diagnostics: &[Diagnostic], severity: Severity) -> Vec<&Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .collect()
}

/// The single error, asserting there is exactly one.
fn the_error(diagnostics: &[Diagnostic]) -> &Diagnostic {
    let errors = only(diagnostics, Severity::Error);
    assert_eq!(errors.len(), 1, "{diagnostics:#?}");
    errors[0]
}

fn skill_names(plugin: &Plugin) -> Vec<&str> {
    plugin.skills.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn a_good_plugin_loads_with_no_diagnostics() {
    let fixture = Fixture::new();
    let (plugin, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(plugin.name, "demo");
    assert_eq!(skill_names(&plugin), ["good"]);
    assert_eq!(
        plugin.skills[0].files,
        [PathBuf::from("references/notes.md")]
    );
    assert_eq!(plugin.commands[0].template, "Hello $1\n");
    assert_eq!(plugin.agents[0].body, "You help.\n");
}

#[test]
fn a_yaml_error_in_one_skill_skips_it_on_its_line_and_the_rest_loads() {
    let fixture = Fixture::new();
    fixture.write(
        "skills/broken/SKILL.md",
        "---\nname: broken\ndescription: fine\nallowed-tools: [Read\nmodel: x\n---\nbody\n",
    );
    let (plugin, diagnostics) = fixture.load();
    assert_eq!(skill_names(&plugin), ["good"]);
    let error = the_error(&diagnostics);
    assert!(error.file.ends_with("skills/broken/SKILL.md"));
    // The unclosed list opens on line 4 of the file; the parser notices
    // by line 6 at the latest. Never line 1, the start of the YAML.
    let line = error.line.unwrap();
    assert!((4..=6).contains(&line), "{error}");
    assert!(error.message.contains("not valid YAML"), "{error}");
}

#[test]
fn a_skill_without_description_is_skipped_with_its_frontmatter_line() {
    let fixture = Fixture::new();
    fixture.write("skills/mute/SKILL.md", "---\nname: mute\n---\nbody\n");
    let (plugin, diagnostics) = fixture.load();
    assert_eq!(skill_names(&plugin), ["good"]);
    let error = the_error(&diagnostics);
    assert!(error.file.ends_with("skills/mute/SKILL.md"));
    assert_eq!(error.line, Some(2));
    assert!(error.message.contains("description"), "{error}");
}

#[test]
fn a_name_differing_from_the_folder_and_unknown_keys_are_warnings_on_their_lines() {
    let fixture = Fixture::new();
    fixture.write(
        "skills/tidy/SKILL.md",
        "---\ndescription: Tidy up.\nname: tidy-up\nfavourite-colour: blue\n---\nbody\n",
    );
    let (plugin, diagnostics) = fixture.load();
    assert_eq!(skill_names(&plugin), ["good", "tidy"]);
    let warnings = only(&diagnostics, Severity::Warning);
    assert_eq!(warnings.len(), 2, "{diagnostics:#?}");
    assert_eq!(warnings[0].line, Some(3), "{}", warnings[0]);
    assert_eq!(warnings[1].line, Some(4), "{}", warnings[1]);
    assert!(warnings[1].message.contains("favourite-colour"));
}

#[test]
fn a_plugin_json_syntax_error_is_on_its_line_and_the_plugin_loads_from_its_folders() {
    let fixture = Fixture::new();
    fixture.write(
        ".claude-plugin/plugin.json",
        "{\n  \"name\": \"demo\",\n  \"version\": 1.0.0\n}\n",
    );
    let (plugin, diagnostics) = fixture.load();
    let error = the_error(&diagnostics);
    assert!(error.file.ends_with(".claude-plugin/plugin.json"));
    assert_eq!(error.line, Some(3));
    // Named after its folder, with every component of the default folders.
    let folder = fixture.root().canonicalize().unwrap();
    assert_eq!(plugin.name, folder.file_name().unwrap().to_str().unwrap());
    assert_eq!(skill_names(&plugin), ["good"]);
    assert_eq!(plugin.commands.len(), 1);
}

#[test]
fn a_wrong_type_in_plugin_json_is_reported_on_the_line_of_its_key() {
    let fixture = Fixture::new();
    fixture.write(
        ".claude-plugin/plugin.json",
        "{\n  \"name\": \"demo\",\n  \"keywords\": [\"a\"],\n  \"author\": 42,\n  \"colour\": \"blue\"\n}\n",
    );
    let (plugin, diagnostics) = fixture.load();
    let error = the_error(&diagnostics);
    assert_eq!(error.line, Some(4));
    assert!(error.message.contains("`author`"), "{error}");
    let warnings = only(&diagnostics, Severity::Warning);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].line, Some(5));
    assert_eq!(plugin.author, None);
    assert_eq!(plugin.keywords, ["a"]);
}

#[test]
fn path_overrides_add_to_the_default_folders() {
    let fixture = Fixture::new();
    fixture.write(
        ".claude-plugin/plugin.json",
        r#"{"name": "demo", "skills": ["./extra/skills/", "./skills"], "commands": "./more/deploy.md", "agents": ["./team"]}"#,
    );
    fixture.write(
        "extra/skills/second/SKILL.md",
        "---\nname: second\ndescription: Two.\n---\nx\n",
    );
    fixture.write("more/deploy.md", "Deploy the thing.\n");
    fixture.write(
        "team/reviewer.md",
        "---\nname: reviewer\ndescription: Reviews.\n---\nReview.\n",
    );
    let (plugin, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(
        skill_names(&plugin),
        ["good", "second"],
        "`./skills` again loads once"
    );
    let commands: Vec<&str> = plugin.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(commands, ["deploy", "hello"]);
    // Without frontmatter the description is the first line.
    assert_eq!(plugin.commands[0].description, "Deploy the thing.");
    let agents: Vec<&str> = plugin.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(agents, ["helper", "reviewer"]);
}

#[test]
fn an_override_climbing_out_with_dotdot_is_refused_on_its_line() {
    let fixture = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("s/evil")).unwrap();
    std::fs::write(
        outside.path().join("s/evil/SKILL.md"),
        "---\nname: evil\ndescription: Reads your keys.\n---\n",
    )
    .unwrap();
    let escape = format!(
        "./../{}/s",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    // Every key that takes a path, each escaping differently.
    fixture.write(
        ".claude-plugin/plugin.json",
        format!(
            "{{\n  \"name\": \"demo\",\n  \"skills\": [\n    \"{escape}\"\n  ],\n  \"hooks\": \"../hooks.json\",\n  \"commands\": \"./a/../../c\",\n  \"agents\": \"/etc\",\n  \"mcpServers\": [\"../../.mcp.json\"]\n}}"
        ),
    );
    let (plugin, diagnostics) = fixture.load();
    assert_eq!(skill_names(&plugin), ["good"]);
    let errors = only(&diagnostics, Severity::Error);
    let lines: Vec<Option<u32>> = errors.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        [Some(4), Some(6), Some(7), Some(8), Some(9)],
        "{diagnostics:#?}"
    );
    for error in &errors {
        assert!(
            error.file.ends_with(".claude-plugin/plugin.json"),
            "{error}"
        );
    }
    assert!(
        errors[0].message.contains("outside the plugin"),
        "{}",
        errors[0]
    );
    assert!(errors[3].message.contains("absolute"), "{}", errors[3]);
    assert!(plugin.hooks.is_empty());
    assert_eq!(plugin.commands.len(), 1);
    assert_eq!(plugin.agents.len(), 1);
}

#[test]
fn symlinks_leading_out_of_the_plugin_are_refused_and_inside_ones_followed() {
    let fixture = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.md"),
        "---\ndescription: secret\n---\nSECRET\n",
    )
    .unwrap();
    std::fs::create_dir_all(outside.path().join("skill")).unwrap();
    std::fs::write(
        outside.path().join("skill/SKILL.md"),
        "---\nname: skill\ndescription: outside\n---\nSECRET\n",
    )
    .unwrap();
    let root = fixture.root();
    // A command file, a whole skill folder and a skill's reference file,
    // each a symlink out of the plugin (absolute and relative).
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        root.join("commands/leak.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("skill"), root.join("skills/leak")).unwrap();
    // Up past the plugin's root to `/` (the link sits three folders deep
    // in a root that is itself some folders deep), then down to the file.
    let ups = 3 + root.components().count() - 1;
    let relative_out = PathBuf::from("../".repeat(ups))
        .join(outside.path().strip_prefix("/").unwrap())
        .join("secret.md");
    std::os::unix::fs::symlink(&relative_out, root.join("skills/good/references/leak.md")).unwrap();
    // Inside the plugin, a symlink is fine.
    std::os::unix::fs::symlink("hello.md", root.join("commands/hi.md")).unwrap();

    let (plugin, diagnostics) = fixture.load();
    let errors = only(&diagnostics, Severity::Error);
    assert_eq!(errors.len(), 3, "{diagnostics:#?}");
    for error in &errors {
        assert!(
            error.message.contains("outside the plugin folder"),
            "{error}"
        );
    }
    assert_eq!(skill_names(&plugin), ["good"]);
    assert_eq!(
        plugin.skills[0].files,
        [PathBuf::from("references/notes.md")]
    );
    let commands: Vec<&str> = plugin.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(commands, ["hello", "hi"]);
    let everything = format!("{plugin:?}");
    assert!(
        !everything.contains("SECRET"),
        "nothing from outside was read"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_skipped_naming_the_line_of_the_first_bad_byte() {
    let fixture = Fixture::new();
    fixture.write("commands/latin1.md", b"---\ndescription: caf\xe9\n---\nx\n");
    let (plugin, diagnostics) = fixture.load();
    let error = the_error(&diagnostics);
    assert!(error.file.ends_with("commands/latin1.md"));
    assert_eq!(error.line, Some(2));
    assert!(error.message.contains("UTF-8"), "{error}");
    assert_eq!(plugin.commands.len(), 1);
}

#[test]
fn a_file_that_cannot_be_read_is_skipped_with_its_reason() {
    let fixture = Fixture::new();
    // A named pipe where a skill's SKILL.md should be: opening it for
    // reading would block forever, so it is refused, as root too.
    std::fs::create_dir_all(fixture.root().join("skills/pipe")).unwrap();
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        fixture.root().join("skills/pipe/SKILL.md"),
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    // And a file without read permission (only refused when not root).
    fixture.write(
        "agents/locked.md",
        "---\nname: locked\ndescription: x\n---\n",
    );
    let locked = fixture.root().join("agents/locked.md");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let root_user = rustix::process::geteuid().is_root();

    let (plugin, diagnostics) = fixture.load();
    let errors = only(&diagnostics, Severity::Error);
    let pipe = errors
        .iter()
        .find(|d| d.file.ends_with("skills/pipe/SKILL.md"))
        .unwrap();
    assert!(pipe.message.contains("named pipe"), "{pipe}");
    assert!(!pipe.message.contains("permissions"), "{pipe}");
    assert_eq!(skill_names(&plugin), ["good"]);
    if !root_user {
        let locked = errors
            .iter()
            .find(|d| d.file.ends_with("agents/locked.md"))
            .unwrap();
        assert!(locked.message.contains("check its permissions"), "{locked}");
        assert_eq!(plugin.agents.len(), 1);
    }
}

#[test]
fn an_agent_with_unindented_example_blocks_loads_as_claude_code_writes_them() {
    let fixture = Fixture::new();
    // Verbatim shape of the example in Anthropic's component schemas.
    fixture.write(
        "agents/code-reviewer.md",
        "---\nname: code-reviewer\ndescription: Use this agent for reviews.\n\n<example>\nContext: User wrote a module\nuser: \"Review this\"\nassistant: \"I'll use the code-reviewer agent.\"\n</example>\n\nmodel: inherit\ncolor: blue\ntools: [\"Read\", \"Grep\", \"Glob\"]\n---\n\nYou are a code review specialist.\n",
    );
    let (plugin, diagnostics) = fixture.load();
    assert!(
        only(&diagnostics, Severity::Error).is_empty(),
        "{diagnostics:#?}"
    );
    let reviewer = plugin
        .agents
        .iter()
        .find(|a| a.name == "code-reviewer")
        .unwrap();
    assert!(reviewer.description.contains("<example>"));
    assert!(reviewer.description.contains("user: \"Review this\""));
    assert_eq!(reviewer.model.as_deref(), Some("inherit"));
    assert_eq!(reviewer.color.as_deref(), Some("blue"));
    assert_eq!(reviewer.tools.as_ref().unwrap().len(), 3);
    assert_eq!(reviewer.body, "You are a code review specialist.\n");
}

#[test]
fn nested_commands_are_named_with_colons() {
    let fixture = Fixture::new();
    fixture.write(
        "commands/git/commit.md",
        "---\ndescription: Commit\n---\nCommit $ARGUMENTS\n",
    );
    fixture.write("commands/notes.txt", "not a command\n");
    let (plugin, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let commands: Vec<&str> = plugin.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(commands, ["git:commit", "hello"]);
}

#[test]
fn a_bad_mcp_server_is_skipped_on_its_line_and_the_others_load() {
    let fixture = Fixture::new();
    fixture.write(
        ".mcp.json",
        "{\n  \"mcpServers\": {\n    \"ok\": {\"url\": \"https://x.example/mcp\"},\n    \"ws\": {\"type\": \"ws\", \"url\": \"wss://x\"},\n    \"local\": {\"command\": \"node\", \"cwd\": \"/tmp\"}\n  }\n}\n",
    );
    let (plugin, diagnostics) = fixture.load();
    let error = the_error(&diagnostics);
    assert_eq!(error.line, Some(4));
    assert!(error.message.contains("`ws`"), "{error}");
    let warnings = only(&diagnostics, Severity::Warning);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].line, Some(5));
    assert!(warnings[0].message.contains("cwd"));
    let names: Vec<&String> = plugin.mcp.servers.keys().collect();
    assert_eq!(names, ["local", "ok"]);
}

#[test]
fn inline_mcp_servers_and_hooks_in_plugin_json_load() {
    let fixture = Fixture::new();
    fixture.write(
        ".claude-plugin/plugin.json",
        r#"{"name": "demo", "mcpServers": {"db": {"command": "${CLAUDE_PLUGIN_ROOT}/db", "args": ["--ro"]}}, "hooks": {"Stop": []}}"#,
    );
    let (plugin, diagnostics) = fixture.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(plugin.mcp.servers.contains_key("db"));
    assert_eq!(plugin.hooks.len(), 1);
}

#[test]
fn a_hooks_file_with_a_syntax_error_is_reported_on_its_line() {
    let fixture = Fixture::new();
    fixture.write(
        "hooks/hooks.json",
        "{\n  \"Stop\": [\n    {\"hooks\": []},\n  ]\n}\n",
    );
    let (plugin, diagnostics) = fixture.load();
    let error = the_error(&diagnostics);
    assert!(error.file.ends_with("hooks/hooks.json"));
    assert_eq!(error.line, Some(4));
    assert!(plugin.hooks.is_empty());
}

#[test]
fn a_folder_without_any_plugin_part_is_not_a_plugin() {
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("README.md"), "hi").unwrap();
    let error = load_plugin(empty.path()).unwrap_err();
    assert!(matches!(error, LoadError::NotAPlugin { .. }), "{error}");
    assert!(error.to_string().contains("plugin.json"));
    let missing = load_plugin(&empty.path().join("nope")).unwrap_err();
    assert!(matches!(missing, LoadError::Unreadable { .. }), "{missing}");
    let file = load_plugin(&empty.path().join("README.md")).unwrap_err();
    assert!(matches!(file, LoadError::NotADirectory { .. }), "{file}");
}

#[test]
fn a_plugin_without_a_manifest_loads_under_its_folder_name() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("my-tools");
    std::fs::create_dir_all(plugin_dir.join("commands")).unwrap();
    std::fs::write(plugin_dir.join("commands/go.md"), "Go.\n").unwrap();
    let (plugin, diagnostics) = load_plugin(&plugin_dir).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(plugin.name, "my-tools");
}

#[test]
fn a_persons_skills_folder_loads_like_a_plugins_skills() {
    let home = tempfile::tempdir().unwrap();
    let skills = home.path().join("skills");
    std::fs::create_dir_all(skills.join("notes")).unwrap();
    std::fs::write(
        skills.join("notes/SKILL.md"),
        "---\nname: notes\ndescription: Keep notes.\n---\nWrite them down.\n",
    )
    .unwrap();
    std::fs::create_dir_all(skills.join("broken")).unwrap();
    std::fs::write(skills.join("broken/SKILL.md"), "---\nname: broken\n---\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("leak")).unwrap();
    std::fs::write(
        outside.path().join("leak/SKILL.md"),
        "---\nname: leak\ndescription: SECRET\n---\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("leak"), skills.join("leak")).unwrap();

    let (found, diagnostics) = cowork_plugins::format::load_skills(&skills).unwrap();
    let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["notes"]);
    let errors = only(&diagnostics, Severity::Error);
    assert_eq!(errors.len(), 2, "{diagnostics:#?}");
    assert!(errors.iter().any(|e| e.file.ends_with("broken/SKILL.md")));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("outside the plugin folder"))
    );

    let (none, nothing) = cowork_plugins::format::load_skills(&home.path().join("absent")).unwrap();
    assert!(none.is_empty() && nothing.is_empty());
}

#[test]
fn an_overlong_skill_description_is_a_warning_on_its_line() {
    let fixture = Fixture::new();
    let long = "word ".repeat(300);
    fixture.write(
        "skills/wordy/SKILL.md",
        format!("---\nname: wordy\ndescription: {long}\n---\nbody\n"),
    );
    let (plugin, diagnostics) = fixture.load();
    assert_eq!(skill_names(&plugin), ["good", "wordy"]);
    let warnings = only(&diagnostics, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{diagnostics:#?}");
    assert_eq!(warnings[0].line, Some(3));
    assert!(warnings[0].message.contains("1024"), "{}", warnings[0]);
}
