//! What the person is told about the daemon's runs: an approval asked, a
//! run finished or failed. Every notice is kept in the store, where the
//! web UI's badge and list read it, whether or not a desktop notifier or
//! command hook is configured; when one is, it gets the notice too.

use std::sync::Arc;

use cowork_core::Subscription;
use cowork_protocol::{Envelope, Event, TaskId, TaskStatus};
use cowork_store::Store;

use super::TaskManager;
use crate::notify::{About, Notification, Notifier};

/// Where a notice goes: the store always, the notifier when configured.
#[derive(Clone)]
pub(crate) struct NoticeSink {
    store: Arc<Store>,
    notifier: Option<Arc<Notifier>>,
}

impl NoticeSink {
    /// Keeps `notice`, then delivers it (each delivery within its time
    /// limit). A notice that cannot be kept is logged: the run goes on.
    pub(crate) async fn deliver(&self, notice: &Notification) {
        if let Err(e) =
            self.store
                .add_notice(notice.kind, &notice.task, &notice.title, &notice.body)
        {
            tracing::warn!(task = %notice.task, "the notice could not be kept: {e}");
        }
        if let Some(notifier) = &self.notifier {
            notifier.send(notice).await;
        }
    }

    /// Notices of one run of `task` as its events come, until it ends;
    /// `questions` hears of each call asked about (true) and decided.
    async fn watch(
        &self,
        task: TaskId,
        prompt: String,
        schedule: Option<String>,
        mut events: Subscription,
        questions: impl Fn(&str, bool),
    ) {
        let about = About {
            task: &task,
            prompt: &prompt,
            schedule: schedule.as_deref(),
        };
        while let Some(Envelope { event, .. }) = events.next().await {
            if let Event::ApprovalRequested { call_id, .. } = &event {
                questions(call_id, true);
            }
            if let Event::ApprovalDecided { call_id, .. } = &event {
                questions(call_id, false);
            }
            if let Some(notice) = Notification::for_event(about, &event) {
                self.deliver(&notice).await;
            }
            if let Event::StatusChanged { status, .. } = &event
                && (status.is_terminal() || *status == TaskStatus::Interrupted)
            {
                return;
            }
        }
    }
}

impl TaskManager {
    pub(super) fn notice_sink(&self) -> NoticeSink {
        NoticeSink {
            store: Arc::clone(&self.store),
            notifier: self.notifier.clone(),
        }
    }

    /// Watches run `number` of task `id`, about to start, for its notices
    /// and its questions (a run waiting for a person holds no slot), from
    /// a task of its own: subscribed now, so none is missed.
    pub(super) fn watch_notices(
        &self,
        id: &TaskId,
        number: u64,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let subscribed = self
            .store
            .task(id.as_str())
            .and_then(|row| Ok((row, self.store.last_seq(id)?)))
            .and_then(|(row, seq)| Ok((row, self.hub.subscribe(id, seq)?)));
        match subscribed {
            Ok((row, events)) => {
                let sink = self.notice_sink();
                let schedule = row.spec.schedule.map(|link| link.name);
                let id = id.clone();
                let me = self.me.clone();
                Some(tokio::spawn(async move {
                    let questions = |call: &str, asked| {
                        if let Some(manager) = me.upgrade() {
                            manager.question(&id, number, call, asked);
                        }
                    };
                    sink.watch(id.clone(), row.prompt, schedule, events, questions)
                        .await;
                }))
            }
            Err(e) => {
                tracing::warn!(task = %id, "no notices for this run: {e}");
                None
            }
        }
    }
}
