//! Starting one tool call: checking it, asking the policy, and asking the
//! person when the policy says so.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use cowork_protocol::{ApprovalDecision, ContentBlock, Effect, Event, Op};

use super::{CallRun, Runner, sleep_until};
use crate::error::CoreError;
use crate::permission::{Approver, Verdict};
use crate::tool::{CallContext, Preview};

impl Runner {
    /// Announces a call, checks it, asks for approval when the policy says
    /// so, and returns the future that runs it — or one that resolves at
    /// once to what the model should hear (unknown tool, bad input, a
    /// denial). `None`: the task was cancelled while waiting.
    pub(super) async fn start_call(
        &mut self,
        call: &ContentBlock,
    ) -> Result<Option<CallRun>, CoreError> {
        let ContentBlock::ToolUse {
            id,
            name,
            input,
            invalid_input,
        } = call
        else {
            return Ok(Some(refused("not a tool call".to_owned())));
        };
        let effect = self.effect_of(call);
        self.emit(Event::ToolCallStarted {
            id: id.clone(),
            name: name.clone(),
            input: input.clone(),
            effect,
        })?;
        if let Some(bad) = invalid_input {
            return Ok(Some(refused(format!(
                "The arguments of this {name} call are not valid JSON ({}), so it did not run. \
                 Call {name} again with a JSON object as arguments.",
                bad.error
            ))));
        }
        if !input.is_object() {
            return Ok(Some(refused(format!(
                "The arguments of this {name} call must be a JSON object, not {input}. Call it again."
            ))));
        }
        let Some(tool) = self.deps.tools.get(name).cloned() else {
            let known = self.deps.tools.names().join(", ");
            return Ok(Some(refused(format!(
                "There is no tool named {name}. The available tools are: {known}."
            ))));
        };
        // Deny rules are judged on the paths before the preview runs: a
        // preview reads content (a diff, Edit's match count), and what a
        // denied call hears must not depend on it.
        let targets = match tool.targets(input).await {
            Ok(targets) => targets,
            Err(failure) => return Ok(Some(refused(failure.message))),
        };
        if let Some(paths) = &targets
            && let Verdict::Deny { by, reason } =
                self.deps
                    .policy
                    .decide(name, effect, paths, &self.spec.folders)
        {
            return Ok(Some(refused(self.refuse_by_policy(id, &by, &reason)?)));
        }
        let preview = match tool.preview(input).await {
            Ok(preview) => preview,
            Err(failure) => return Ok(Some(refused(failure.message))),
        };
        let paths = targets.unwrap_or_else(|| preview.paths.clone());
        match self.authorize(id, name, effect, &paths, &preview).await? {
            Authorization::Run => {}
            Authorization::Refuse(message) => return Ok(Some(refused(message))),
            Authorization::Cancelled => return Ok(None),
        }
        let run = tool.call(
            input.clone(),
            CallContext {
                call_id: id.clone(),
                cancel: Arc::clone(&self.cancel),
            },
        );
        Ok(Some(Box::pin(async move {
            let started = Instant::now();
            let result = run.await.map_err(|f| f.message);
            let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            (result, millis)
        })))
    }

    /// Applies the policy to a call touching `paths`, asking the approver
    /// when it says so.
    async fn authorize(
        &mut self,
        call_id: &str,
        tool: &str,
        effect: Effect,
        paths: &[PathBuf],
        preview: &Preview,
    ) -> Result<Authorization, CoreError> {
        let verdict = self
            .deps
            .policy
            .decide(tool, effect, paths, &self.spec.folders);
        match verdict {
            Verdict::Allow => Ok(Authorization::Run),
            Verdict::Deny { by, reason } => Ok(Authorization::Refuse(
                self.refuse_by_policy(call_id, &by, &reason)?,
            )),
            Verdict::Ask if self.allowed_for_task.contains(tool) => Ok(Authorization::Run),
            Verdict::Ask => match self.deps.policy.approver {
                Approver::AssumeYes => {
                    self.record_decision(call_id, ApprovalDecision::AllowOnce, "--yes")?;
                    Ok(Authorization::Run)
                }
                Approver::Nobody => {
                    self.record_decision(call_id, deny(None), "no terminal")?;
                    Ok(Authorization::Refuse(format!(
                        "Denied: {tool} needs the user's approval and nobody can give it here (no \
                         terminal) — do not retry this another way. The user can allow it by \
                         running again with --yes or --mode auto, or with an allow rule in config.toml."
                    )))
                }
                Approver::Person => self.ask_person(call_id, tool, effect, preview).await,
            },
        }
    }

    async fn ask_person(
        &mut self,
        call_id: &str,
        tool: &str,
        effect: Effect,
        preview: &Preview,
    ) -> Result<Authorization, CoreError> {
        self.emit(Event::ApprovalRequested {
            call_id: call_id.to_owned(),
            tool: tool.to_owned(),
            effect,
            summary: preview.summary.clone(),
        })?;
        let deadline = self.deadline();
        let decision = loop {
            tokio::select! {
                op = self.ops.recv() => match op {
                    Some(Op::Approval { call_id: id, decision }) if id == call_id => break decision,
                    Some(Op::Cancel) => return Ok(Authorization::Cancelled),
                    Some(Op::UserMessage { text }) => self.queued_messages.push(text),
                    Some(Op::Approval { .. }) => {}
                    // Whoever could answer has gone: nobody will.
                    None => break deny(Some("nobody was there to answer".to_owned())),
                },
                () = sleep_until(deadline) => return Err(self.wall_budget_error()),
            }
        };
        self.record_decision(call_id, decision.clone(), "user")?;
        Ok(match decision {
            ApprovalDecision::AllowOnce => Authorization::Run,
            ApprovalDecision::AllowForTask => {
                self.allowed_for_task.insert(tool.to_owned());
                Authorization::Run
            }
            ApprovalDecision::Deny { message } => Authorization::Refuse(match message {
                Some(m) => format!(
                    "Denied by the user — do not retry this another way. The user said: {m}"
                ),
                None => "Denied by the user — do not retry this another way. Continue without it, \
                         or ask the user what they want."
                    .to_owned(),
            }),
        })
    }

    /// Records a denial by the policy and returns what the model hears.
    fn refuse_by_policy(
        &mut self,
        call_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<String, CoreError> {
        self.record_decision(call_id, deny(None), by)?;
        Ok(format!(
            "Denied by policy ({reason}) — do not retry this another way. \
             Continue without it, or tell the user what you needed."
        ))
    }

    fn record_decision(
        &mut self,
        call_id: &str,
        decision: ApprovalDecision,
        by: &str,
    ) -> Result<(), CoreError> {
        self.emit(Event::ApprovalDecided {
            call_id: call_id.to_owned(),
            decision,
            by: by.to_owned(),
        })
    }
}

/// A call that resolves at once to `message`, as a failed call.
fn refused(message: String) -> CallRun {
    Box::pin(async move { (Err(message), 0) })
}

fn deny(message: Option<String>) -> ApprovalDecision {
    ApprovalDecision::Deny { message }
}

/// The outcome of asking whether a call may run.
enum Authorization {
    Run,
    /// Refused: the message the model hears.
    Refuse(String),
    Cancelled,
}
