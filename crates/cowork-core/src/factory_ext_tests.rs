//! A task start reads its extension source once: the prompt's `/command`
//! is expanded by the commands the task's extensions came with, not by a
//! second reading of the source (which, for the plugin host, loads every
//! plugin again).

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// Counts what the factory asks of it; `/hello` is its only command.
#[derive(Default)]
struct Counting {
    for_task: AtomicUsize,
    source_expand: AtomicUsize,
    task_expand: Arc<AtomicUsize>,
}

fn hello(prompt: &str) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
    match prompt.strip_prefix('/') {
        None => Ok(None),
        Some("hello") => Ok(Some(ExpandedPrompt {
            name: "hello".into(),
            text: "Say hello.".into(),
        })),
        Some(other) => Err(UnknownCommand {
            name: other.into(),
            close: vec!["hello".into()],
        }),
    }
}

struct TaskHello(Arc<AtomicUsize>);

impl Commands for TaskHello {
    fn expand(&self, message: &str) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        self.0.fetch_add(1, Ordering::SeqCst);
        hello(message)
    }
}

impl ExtensionSource for Counting {
    fn for_task(&self, _: &TaskContext) -> TaskExtensions {
        self.for_task.fetch_add(1, Ordering::SeqCst);
        TaskExtensions {
            commands: Some(Arc::new(TaskHello(Arc::clone(&self.task_expand)))),
            ..TaskExtensions::default()
        }
    }

    fn expand(
        &self,
        prompt: &str,
        _: &TaskContext,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        self.source_expand.fetch_add(1, Ordering::SeqCst);
        hello(prompt)
    }
}

fn counted(env: &Env) -> (Factory, Arc<Counting>) {
    let source = Arc::new(Counting::default());
    let factory = factory_with(env, Config::default(), unavailable())
        .with_extensions(Arc::clone(&source) as Arc<dyn ExtensionSource>);
    (factory, source)
}

fn counts(source: &Counting) -> (usize, usize, usize) {
    (
        source.for_task.load(Ordering::SeqCst),
        source.source_expand.load(Ordering::SeqCst),
        source.task_expand.load(Ordering::SeqCst),
    )
}

// Regression: a task start read the plugin catalog twice, once for the
// prompt's `/command` (`ExtensionSource::expand`) and once for the task's
// extensions (`for_task`).
#[tokio::test]
async fn starting_a_command_task_reads_the_extension_source_once() {
    let env = env();
    let (factory, source) = counted(&env);
    let mut spec = spec(&[&env.folder], PermissionMode::Ask);
    spec.prompt = "/hello".into();
    let started = factory
        .start(TaskRequest {
            spec,
            setup: setup(SandboxChoice::Auto),
            model: Some(done()),
        })
        .unwrap();
    assert_eq!(counts(&source), (1, 0, 1));
    let events = events(started).await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::PromptExpanded { name, text } if name == "hello" && text == "Say hello."
        )),
        "{events:?}"
    );
}

#[test]
fn an_unknown_command_still_records_no_task_and_reads_the_source_once() {
    let env = env();
    let (factory, source) = counted(&env);
    let mut spec = spec(&[&env.folder], PermissionMode::Ask);
    spec.prompt = "/helo".into();
    let err = factory
        .start(TaskRequest {
            spec,
            setup: setup(SandboxChoice::Auto),
            model: Some(done()),
        })
        .unwrap_err();
    assert!(
        matches!(&err, FactoryError::UnknownCommand(u) if u.close == ["hello"]),
        "{err:?}"
    );
    assert!(env.store.list_tasks(10).unwrap().is_empty());
    assert_eq!(counts(&source), (1, 0, 1));
}

#[tokio::test]
async fn a_recorded_command_task_started_later_reads_the_source_once() {
    let env = env();
    let (factory, source) = counted(&env);
    let mut spec = spec(&[&env.folder], PermissionMode::Ask);
    spec.prompt = "/hello".into();
    let id = TaskId::new();
    env.store
        .create_task(&id, &spec, &cowork_store::Owner::current().unwrap())
        .unwrap();
    let started = factory
        .start_recorded(id.as_str(), setup(SandboxChoice::Auto), Some(done()))
        .unwrap();
    assert_eq!(counts(&source), (1, 0, 1));
    let events = events(started).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::PromptExpanded { name, .. } if name == "hello")),
        "{events:?}"
    );
}
