//! Approvals a task is waiting for, answerable from any front: whichever
//! answers first takes the pending entry; later answers find nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use cowork_protocol::{ApprovalDecision, Effect, Event};

/// How a task's questions to a person are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approver {
    /// Wait for any front to answer (the daemon; the CLI at a terminal).
    Person,
    /// Everything that would ask is allowed (the CLI's `--yes`); deny
    /// rules still win.
    AssumeYes,
    /// Nobody can answer (the CLI without a terminal): asking means no.
    Nobody,
}

/// Who decided a call that needed approval; recorded as
/// `ApprovalDecided.by` in [`Decider::as_str`]'s words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    /// A person, through a front: "terminal", "web", "api"…
    Front(String),
    /// [`Approver::AssumeYes`].
    AssumeYes,
    /// [`Approver::Nobody`], or every front went away while asking.
    Nobody,
}

impl Decider {
    pub fn as_str(&self) -> &str {
        match self {
            Decider::Front(front) => front,
            Decider::AssumeYes => "assume_yes",
            Decider::Nobody => "nobody",
        }
    }

    /// The decider recorded as `by`, including the words of logs written
    /// before fronts were named ("--yes", "no terminal", "user"). `None`
    /// for a mode or rule.
    pub fn parse(by: &str) -> Option<Self> {
        Some(match by {
            "assume_yes" | "--yes" => Decider::AssumeYes,
            "nobody" | "no terminal" => Decider::Nobody,
            "user" | "terminal" | "web" | "api" => Decider::Front(by.to_owned()),
            _ => return None,
        })
    }
}

/// A call waiting for a person's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingApproval {
    pub call_id: String,
    pub tool: String,
    pub effect: Effect,
    /// What will happen, for the person to judge.
    pub summary: String,
}

/// The answer came too late (another front answered first, the task
/// stopped waiting) or the call never asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("call {call_id} is not waiting for approval (already answered, or it never asked)")]
pub struct NotPending {
    pub call_id: String,
}

pub(crate) type Answer = (ApprovalDecision, Decider);

struct Entry {
    info: PendingApproval,
    answer: oneshot::Sender<Answer>,
}

/// A task's pending approvals, shared by its runner and every
/// [`OpSender`](crate::OpSender).
#[derive(Clone, Default)]
pub(crate) struct Approvals(Arc<Mutex<HashMap<String, Entry>>>);

impl Approvals {
    /// Registers `info` as pending; the receiver gets the first answer.
    pub(crate) fn ask(&self, info: PendingApproval) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        self.lock()
            .insert(info.call_id.clone(), Entry { info, answer: tx });
        rx
    }

    /// Stops waiting for `call_id` (cancelled, or the runner gave up).
    pub(crate) fn withdraw(&self, call_id: &str) {
        self.lock().remove(call_id);
    }

    /// Answers `call_id`, taking its entry so a second answer fails.
    pub(crate) fn decide(
        &self,
        call_id: &str,
        decision: ApprovalDecision,
        by: Decider,
    ) -> Result<(), NotPending> {
        let entry = self.lock().remove(call_id);
        let not_pending = || NotPending {
            call_id: call_id.to_owned(),
        };
        entry
            .ok_or_else(not_pending)?
            .answer
            .send((decision, by))
            .map_err(|_| not_pending())
    }

    /// Stops waiting for everything: the task has ended.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn pending(&self) -> Vec<PendingApproval> {
        let mut pending: Vec<_> = self.lock().values().map(|e| e.info.clone()).collect();
        pending.sort_by(|a, b| a.call_id.cmp(&b.call_id));
        pending
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // Plain data; a panic elsewhere while holding it leaves it usable.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a task's log says about approvals, for resuming it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LoggedApprovals {
    /// Tools a person allowed for the rest of the task.
    pub(crate) allowed_for_task: HashSet<String>,
    /// Calls whose question is recorded, as it was asked.
    asked: HashMap<String, PendingApproval>,
    /// Calls whose decision is recorded.
    decided: HashMap<String, ApprovalDecision>,
}

impl LoggedApprovals {
    pub(crate) fn from_log<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut logged = Self::default();
        for event in events {
            match event {
                Event::ApprovalRequested {
                    call_id,
                    tool,
                    effect,
                    summary,
                } => {
                    let asked = PendingApproval {
                        call_id: call_id.clone(),
                        tool: tool.clone(),
                        effect: *effect,
                        summary: summary.clone(),
                    };
                    logged.asked.insert(call_id.clone(), asked);
                }
                Event::ApprovalDecided {
                    call_id, decision, ..
                } => {
                    if matches!(
                        decision,
                        ApprovalDecision::AllowForTask | ApprovalDecision::AllowForSchedule
                    ) && let Some(asked) = logged.asked.get(call_id)
                    {
                        logged.allowed_for_task.insert(asked.tool.clone());
                    }
                    logged.decided.insert(call_id.clone(), decision.clone());
                }
                Event::TaskCreated { .. }
                | Event::PromptExpanded { .. }
                | Event::MemoryRecalled { .. }
                | Event::Connector { .. }
                | Event::Warning { .. }
                | Event::InstructionsLoaded { .. }
                | Event::UserMessage { .. }
                | Event::TurnStarted { .. }
                | Event::TextDelta { .. }
                | Event::AssistantMessage { .. }
                | Event::ToolCallStarted { .. }
                | Event::ToolCallFinished { .. }
                | Event::FileChanged { .. }
                | Event::Undone { .. }
                | Event::Compacted { .. }
                | Event::Notice { .. }
                | Event::StatusChanged { .. } => {}
            }
        }
        logged
    }

    /// Whether the question about `call_id` is already in the log.
    pub(crate) fn was_asked(&self, call_id: &str) -> bool {
        self.asked.contains_key(call_id)
    }

    /// The recorded questions of `calls` that no recorded decision
    /// answers: what a resumed run still waits for.
    pub(crate) fn open_questions<'c>(
        &self,
        calls: impl IntoIterator<Item = &'c str>,
    ) -> Vec<PendingApproval> {
        calls
            .into_iter()
            .filter(|id| !self.decided.contains_key(*id))
            .filter_map(|id| self.asked.get(id).cloned())
            .collect()
    }

    /// The recorded decision about `call_id`, taken so it is used once.
    pub(crate) fn take_decision(&mut self, call_id: &str) -> Option<ApprovalDecision> {
        self.decided.remove(call_id)
    }

    /// Forgets recorded questions and decisions once the calls left over
    /// from before have run; what was allowed for the task stays.
    pub(crate) fn forget_calls(&mut self) {
        self.asked.clear();
        self.decided.clear();
    }
}
