use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use cowork_files::{ChangeSink, FileError, FileTools, Folders, Journal, JournalStore};
use cowork_protocol::{Change, Event, PermissionMode, ToolSpec};

use crate::hub::Publisher;

use crate::tool::{CallContext, Preview, Tool, ToolFailure, ToolRegistry};

/// Where a task's file changes are journaled: what they replace goes to
/// `store`, and each change is published to the task's log (and its
/// watchers) before it happens.
pub struct JournalSetup {
    pub store: Arc<JournalStore>,
    /// The task's publisher ([`Hub::publisher`](crate::Hub::publisher)).
    pub log: Publisher,
}

/// A task's journal, shared by every tool that changes connected folders
/// (the file tools and `Bash`). Changing calls run one at a time, so one
/// "current call" slot labels the changes each call records.
#[derive(Clone)]
pub struct TaskJournal {
    journal: Journal,
    call: Arc<Mutex<String>>,
}

impl TaskJournal {
    /// The journal over `setup`'s store and log.
    pub fn new(setup: JournalSetup) -> Self {
        let call = Arc::new(Mutex::new(String::new()));
        let task = setup.log.task().to_string();
        let sink = Arc::new(LogSink {
            log: setup.log,
            call: Arc::clone(&call),
        });
        Self {
            journal: Journal {
                store: setup.store,
                sink,
                task: Some(task),
            },
            call,
        }
    }

    /// The journal itself, for tools that build their own `FileTools`.
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Where replaced content, trash and stages are kept.
    pub(crate) fn store(&self) -> &JournalStore {
        &self.journal.store
    }

    /// The journal, with the changes it records from now on attributed to
    /// `call_id`.
    pub(crate) fn for_call(&self, call_id: &str) -> &Journal {
        if let Ok(mut slot) = self.call.lock() {
            call_id.clone_into(&mut slot);
        }
        &self.journal
    }
}

/// Registers the file tools over `folders`: the reading tools always, the
/// writing tools unless the task runs in plan mode or has no journal (a
/// change that could not be undone is not offered).
pub fn register_file_tools(
    registry: &mut ToolRegistry,
    folders: Arc<Folders>,
    journal: Option<&TaskJournal>,
    mode: PermissionMode,
) {
    let (tools, specs, journal) = match journal {
        Some(journal) if mode != PermissionMode::Plan => (
            FileTools::with_journal(folders, journal.journal.clone()),
            FileTools::specs(),
            Some(journal.clone()),
        ),
        Some(_) | None => (FileTools::new(folders), FileTools::read_specs(), None),
    };
    let tools = Arc::new(tools);
    for mut spec in specs {
        if spec.name == "Read" {
            spec.description.push_str(
                " Spreadsheets (.xlsx .xls .ods), Word (.docx), PowerPoint (.pptx) and PDF files \
                 are returned as Markdown (tables per sheet, slides with notes, text per page).",
            );
        }
        registry.register(Arc::new(FileTool {
            spec,
            tools: Arc::clone(&tools),
            journal: journal.clone(),
        }));
    }
}

/// Publishes each change to the task's log, all of a call's changes in
/// one synced transaction, before the tool applies them; watchers see
/// them live.
struct LogSink {
    log: Publisher,
    /// The call being served. Changing calls run one at a time, so one slot
    /// per task is enough.
    call: Arc<Mutex<String>>,
}

impl ChangeSink for LogSink {
    fn record(&self, changes: &[Change]) -> Result<(), String> {
        let call_id = self
            .call
            .lock()
            .map(|c| c.clone())
            .map_err(|_| "the journal's call slot is poisoned".to_owned())?;
        let events: Vec<Event> = changes
            .iter()
            .map(|change| Event::FileChanged {
                call_id: call_id.clone(),
                change: change.clone(),
            })
            .collect();
        self.log
            .publish_all_synced(&events)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// One of cowork-files' tools. The library is blocking, so calls run on
/// tokio's blocking pool and never stall the runner's other work.
struct FileTool {
    spec: ToolSpec,
    tools: Arc<FileTools>,
    journal: Option<TaskJournal>,
}

impl FileTool {
    fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&FileTools, &str) -> Result<T, FileError> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, ToolFailure>> {
        let tools = Arc::clone(&self.tools);
        let name = self.spec.name.clone();
        Box::pin(super::blocking(move || {
            work(&tools, &name).map_err(|e| ToolFailure::new(e.to_string()))
        }))
    }
}

impl Tool for FileTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn preview(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        let input = input.clone();
        self.blocking(move |tools, name| {
            tools.preview(name, &input).map(|p| Preview {
                paths: p.paths,
                summary: p.summary,
            })
        })
    }

    fn targets(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Option<Vec<PathBuf>>, ToolFailure>> {
        let input = input.clone();
        self.blocking(move |tools, name| tools.targets(name, &input).map(Some))
    }

    fn call(
        &self,
        input: serde_json::Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        if !self.spec.effect.is_read_only()
            && let Some(journal) = &self.journal
        {
            journal.for_call(&ctx.call_id);
        }
        // Documents read as Markdown rather than "a binary file".
        if self.spec.name == "Read"
            && let Some(path) = input.get("file_path").and_then(|p| p.as_str())
            && super::docs::is_document(path)
        {
            let tools = Arc::clone(&self.tools);
            let path = path.to_owned();
            return Box::pin(super::blocking(move || {
                super::docs::read_document(&tools, &path, &Default::default())
            }));
        }
        self.blocking(move |tools, name| tools.call(name, &input))
    }
}
