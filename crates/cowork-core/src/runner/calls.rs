//! Starting one tool call: checking it, asking the policy, and asking the
//! person when the policy says so.

use std::sync::Arc;
use std::time::Instant;

use cowork_protocol::{ApprovalDecision, ContentBlock, Effect, Event, Op};

use super::{CallRun, Runner, sleep_until};
use crate::approvals::{Approver, Decider, PendingApproval};
use crate::error::CoreError;
use crate::extensions::{HookEvent, HookPermission};
use crate::permission::{CallFacts, Verdict};
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
        // Hooks hear the call before the permission engine decides; they
        // can refuse it or make it ask, and allow it only where the
        // engine would ask.
        let Some(hook) = self.pre_tool_hook(id, name, input).await? else {
            return Ok(None);
        };
        if let Some(HookPermission::Deny { reason }) = &hook {
            return Ok(Some(refused(self.refuse_by_hook(id, reason)?)));
        }
        let read_only_hint = tool.read_only_hint();
        // Deny rules are judged on the paths before the preview runs: a
        // preview reads content (a diff, Edit's match count), and what a
        // denied call hears must not depend on it.
        let targets = match tool.targets(input).await {
            Ok(targets) => targets,
            Err(failure) => return Ok(Some(refused(failure.message))),
        };
        if let Some(paths) = &targets
            && let Verdict::Deny { by, reason } = self.deps.policy.decide_call(
                &CallFacts {
                    tool: name,
                    effect,
                    read_only_hint,
                    paths,
                },
                &self.grants,
            )
        {
            return Ok(Some(refused(self.refuse_by_policy(id, &by, &reason)?)));
        }
        let preview = match tool.preview(input).await {
            Ok(preview) => preview,
            Err(failure) => return Ok(Some(refused(failure.message))),
        };
        let paths = targets.unwrap_or_else(|| preview.paths.clone());
        let call = CallFacts {
            tool: name,
            effect,
            read_only_hint,
            paths: &paths,
        };
        match self.authorize(id, &call, hook, &preview).await? {
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
            (result, millis, true)
        })))
    }

    /// Applies the policy to `call`, as a `PreToolUse` hook's decision
    /// bends it, asking the approver when it says so.
    async fn authorize(
        &mut self,
        call_id: &str,
        call: &CallFacts<'_>,
        hook: Option<HookPermission>,
        preview: &Preview,
    ) -> Result<Authorization, CoreError> {
        let (tool, effect) = (call.tool, call.effect);
        let verdict = self.deps.policy.decide_call(call, &self.grants);
        // A hook's ask: a person is asked even where the mode, the rules
        // or an earlier "allow for the task" would have let it run.
        let mut forced: Option<String> = None;
        let verdict = match (verdict, hook) {
            (verdict @ Verdict::Deny { .. }, _) | (verdict, None) => verdict,
            (Verdict::Allow | Verdict::Ask, Some(HookPermission::Ask { reason })) => {
                forced = Some(reason);
                Verdict::Ask
            }
            (Verdict::Ask | Verdict::Allow, Some(HookPermission::Allow)) => Verdict::Allow,
            (Verdict::Allow | Verdict::Ask, Some(HookPermission::Deny { reason })) => {
                return Ok(Authorization::Refuse(
                    self.refuse_by_hook(call_id, &reason)?,
                ));
            }
        };
        let preview = match &forced {
            Some(reason) => &Preview {
                paths: preview.paths.clone(),
                summary: format!(
                    "{}\n\nA plugin's hook asks you to approve this: {reason}",
                    preview.summary
                ),
            },
            None => preview,
        };
        match verdict {
            Verdict::Allow => Ok(Authorization::Run),
            Verdict::Deny { by, reason } => Ok(Authorization::Refuse(
                self.refuse_by_policy(call_id, &by, &reason)?,
            )),
            Verdict::Ask if forced.is_none() && self.allowed_for_task.contains(tool) => {
                Ok(Authorization::Run)
            }
            Verdict::Ask => {
                // Resumed after the process died between the decision and
                // the call's result: the recorded decision stands.
                if let Some(decision) = self.logged.take_decision(call_id) {
                    return Ok(self.apply_decision(tool, decision));
                }
                match self.deps.approver {
                    Approver::AssumeYes => {
                        self.record_decision(
                            call_id,
                            ApprovalDecision::AllowOnce,
                            &Decider::AssumeYes,
                        )?;
                        Ok(Authorization::Run)
                    }
                    Approver::Nobody => self.nobody_answers(call_id, tool),
                    Approver::Person => self.ask_person(call_id, tool, effect, preview).await,
                }
            }
        }
    }

    /// Denies a call because nobody can answer its question.
    fn nobody_answers(&mut self, call_id: &str, tool: &str) -> Result<Authorization, CoreError> {
        self.record_decision(call_id, deny(None), &Decider::Nobody)?;
        Ok(Authorization::Refuse(format!(
            "Denied: {tool} needs the user's approval and nobody can give it now — do not \
             retry this another way. Continue without it, or tell the user what you needed; \
             they can allow it when they can answer, or with an allow rule or the auto mode."
        )))
    }

    /// Asks whichever front answers first, and waits. A question already
    /// in the log (the task was resumed while it waited) is not asked
    /// again: the recorded one is still the question.
    async fn ask_person(
        &mut self,
        call_id: &str,
        tool: &str,
        effect: Effect,
        preview: &Preview,
    ) -> Result<Authorization, CoreError> {
        if self.ops_closed {
            return self.nobody_answers(call_id, tool);
        }
        // Registered before the question goes out, so a front that
        // answers the moment it sees it finds the question pending; one the
        // log left open was registered when the run started.
        let mut answer = match self.early_answers.remove(call_id) {
            Some(answer) => answer,
            None => self.approvals.ask(PendingApproval {
                call_id: call_id.to_owned(),
                tool: tool.to_owned(),
                effect,
                summary: preview.summary.clone(),
            }),
        };
        if !self.logged.was_asked(call_id)
            && let Err(e) = self.emit(Event::ApprovalRequested {
                call_id: call_id.to_owned(),
                tool: tool.to_owned(),
                effect,
                summary: preview.summary.clone(),
            })
        {
            self.approvals.withdraw(call_id);
            return Err(e);
        }
        let deadline = self.deadline();
        let outcome = loop {
            tokio::select! {
                answer = &mut answer => break answer.ok(),
                op = self.ops.recv() => match op {
                    Some(Op::Cancel) => {
                        self.approvals.withdraw(call_id);
                        return Ok(Authorization::Cancelled);
                    }
                    Some(op) => {
                        self.handle_op(op);
                    }
                    // Every front has gone: nobody is left to answer.
                    None => {
                        self.ops_closed = true;
                        break None;
                    }
                },
                () = sleep_until(deadline) => {
                    self.approvals.withdraw(call_id);
                    return Err(self.wall_budget_error());
                }
            }
        };
        self.approvals.withdraw(call_id);
        let Some((decision, by)) = outcome else {
            return self.nobody_answers(call_id, tool);
        };
        self.record_decision(call_id, decision.clone(), &by)?;
        Ok(self.apply_decision(tool, decision))
    }

    fn apply_decision(&mut self, tool: &str, decision: ApprovalDecision) -> Authorization {
        match decision {
            ApprovalDecision::AllowOnce => Authorization::Run,
            // The daemon remembers a schedule-wide answer in the schedule's
            // scope; for this run it is the same as allowing for the task.
            ApprovalDecision::AllowForTask | ApprovalDecision::AllowForSchedule => {
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
        }
    }

    /// Runs the `PreToolUse` hooks on a call. `None`: cancelled meanwhile;
    /// `Some(None)`: no hook decided anything.
    async fn pre_tool_hook(
        &mut self,
        call_id: &str,
        tool: &str,
        input: &serde_json::Value,
    ) -> Result<Option<Option<HookPermission>>, CoreError> {
        if self.deps.extensions.hooks.is_none() {
            return Ok(Some(None));
        }
        let event = HookEvent::PreToolUse {
            tool: tool.to_owned(),
            call_id: call_id.to_owned(),
            input: input.clone(),
        };
        Ok(self.hook(event).await?.map(|outcome| outcome.permission))
    }

    /// Records a denial by a `PreToolUse` hook and returns what the model
    /// hears: the hook's reason.
    fn refuse_by_hook(&mut self, call_id: &str, reason: &str) -> Result<String, CoreError> {
        self.emit(Event::ApprovalDecided {
            call_id: call_id.to_owned(),
            decision: deny(Some(reason.to_owned())),
            by: "hook".to_owned(),
        })?;
        Ok(format!(
            "Denied by a plugin's hook: {reason} — do not retry this another way. Continue \
             without it, or tell the user what you needed."
        ))
    }

    /// Records a denial by the policy and returns what the model hears.
    fn refuse_by_policy(
        &mut self,
        call_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<String, CoreError> {
        self.emit(Event::ApprovalDecided {
            call_id: call_id.to_owned(),
            decision: deny(None),
            by: by.to_owned(),
        })?;
        Ok(format!(
            "Denied by policy ({reason}) — do not retry this another way. \
             Continue without it, or tell the user what you needed."
        ))
    }

    fn record_decision(
        &mut self,
        call_id: &str,
        decision: ApprovalDecision,
        by: &Decider,
    ) -> Result<(), CoreError> {
        self.emit(Event::ApprovalDecided {
            call_id: call_id.to_owned(),
            decision,
            by: by.as_str().to_owned(),
        })
    }
}

/// A call that resolves at once to `message`, as a failed call.
fn refused(message: String) -> CallRun {
    Box::pin(async move { (Err(message), 0, false) })
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
