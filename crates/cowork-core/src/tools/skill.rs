//! The `Skill` tool: the model loads a skill's instructions when the task
//! matches its description (progressive disclosure: the system prompt
//! holds only names and descriptions). Its other files are read with the
//! read tools, in its folder, which the task sees read-only.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use cowork_protocol::{Effect, ToolSpec};

use crate::extensions::Skill;
use crate::suggest::close_matches;
use crate::tool::{CallContext, Tool, ToolFailure, ToolRegistry};

/// The tool's name, as rules and the model name it.
pub(crate) const SKILL: &str = "Skill";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    skill: String,
    #[serde(default)]
    args: Option<String>,
}

struct SkillTool {
    spec: ToolSpec,
    skills: Arc<[Skill]>,
}

/// Registers `Skill` over `skills`; nothing when there are none.
pub fn register_skill_tool(registry: &mut ToolRegistry, skills: &[Skill]) {
    if skills.is_empty() {
        return;
    }
    registry.register(Arc::new(SkillTool {
        spec: ToolSpec {
            name: SKILL.into(),
            description: "Loads a skill's instructions: call it when the task matches a skill's \
                          description in the system prompt, before doing that part of the work. \
                          The result names the skill's folder; read its other files there (by \
                          absolute path) with the read tools."
                .into(),
            input_schema: serde_json::json!({
                "type": "object",
                "properties": {
                    "skill": {"type": "string", "description": "The skill's name as listed, e.g. `plugin:name`, or `name` alone when no other skill has it."},
                    "args": {"type": "string", "description": "Arguments for the skill, if it takes any."}
                },
                "required": ["skill"],
                "additionalProperties": false
            }),
            effect: Effect::Read,
        },
        skills: skills.into(),
    }));
}

impl Tool for SkillTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn call(
        &self,
        input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let result = serde_json::from_value::<Input>(input)
            .map_err(|e| ToolFailure::new(format!("Skill: invalid arguments: {e}")))
            .and_then(|input| {
                let skill = find(&self.skills, &input.skill)?;
                Ok(render(skill, input.args.as_deref()))
            });
        Box::pin(async move { result })
    }
}

/// The skill `wanted` names: its qualified name exactly, else its bare
/// name when only one skill has it.
fn find<'s>(skills: &'s [Skill], wanted: &str) -> Result<&'s Skill, ToolFailure> {
    let wanted = wanted.trim().trim_start_matches('/');
    if let Some(skill) = skills.iter().find(|s| s.qualified == wanted) {
        return Ok(skill);
    }
    let by_bare: Vec<&Skill> = skills
        .iter()
        .filter(|s| bare(&s.qualified) == wanted)
        .collect();
    match by_bare.as_slice() {
        [one] => Ok(one),
        [] => {
            let close = close_matches(wanted, skills.iter().map(|s| s.qualified.as_str()));
            Err(ToolFailure::new(match close.as_slice() {
                [] => format!(
                    "There is no skill named {wanted}. The skills are listed in the system prompt."
                ),
                close => format!(
                    "There is no skill named {wanted}. Close matches: {}.",
                    close.join(", ")
                ),
            }))
        }
        many => Err(ToolFailure::new(format!(
            "More than one skill is named {wanted}: {}. Call Skill again with one of these names.",
            many.iter()
                .map(|s| s.qualified.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `name` of `plugin:name`.
fn bare(qualified: &str) -> &str {
    qualified
        .rsplit_once(':')
        .map_or(qualified, |(_, bare)| bare)
}

/// What the model is sent: where the skill's files are, its body, and the
/// arguments, substituted for `$ARGUMENTS` where the body asks for them
/// (as Claude Code does), else appended.
fn render(skill: &Skill, args: Option<&str>) -> String {
    let args = args.map(str::trim).filter(|a| !a.is_empty());
    let takes_args = skill.body.contains("$ARGUMENTS");
    let body = if takes_args {
        skill.body.replace("$ARGUMENTS", args.unwrap_or_default())
    } else {
        skill.body.clone()
    };
    let mut text = format!(
        "Base directory for this skill: {}\n\n{}",
        skill.dir.display(),
        body.trim_end()
    );
    if let Some(args) = args
        && !takes_args
    {
        text.push_str(&format!("\n\nARGUMENTS: {args}"));
    }
    text.push('\n');
    text
}

#[cfg(test)]
#[path = "skill_tests.rs"]
mod tests;
