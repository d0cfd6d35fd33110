use std::os::unix::fs::PermissionsExt;

use cowork_protocol::{EndReason, Event, TaskId, TaskStatus};

use super::*;

/// A program at `dir/name` running `script` with sh.
fn program(dir: &Path, name: &str, script: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn about<'a>(task: &'a TaskId, prompt: &'a str) -> About<'a> {
    About {
        task,
        prompt,
        schedule: None,
    }
}

fn finished() -> Event {
    Event::StatusChanged {
        status: TaskStatus::Completed,
        reason: None,
        end: None,
    }
}

#[test]
fn approvals_and_ends_are_noticed_and_other_events_are_not() {
    let task = TaskId::new();
    let prompt = "Digest the new files in Reports/\nand mail me";
    let waiting = Notification::for_event(
        about(&task, prompt),
        &Event::ApprovalRequested {
            call_id: "c".into(),
            tool: "Bash".into(),
            effect: cowork_protocol::Effect::Execute,
            summary: "run `make report`".into(),
        },
    )
    .unwrap();
    assert_eq!(waiting.kind, NoticeKind::Waiting);
    assert_eq!(
        waiting.body,
        "Digest the new files in Reports/\nrun `make report`"
    );
    let done = Notification::for_event(about(&task, prompt), &finished()).unwrap();
    assert_eq!(done.kind, NoticeKind::Finished);
    let failed = Notification::for_event(
        about(&task, prompt),
        &Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some("the model refused the key".into()),
            end: Some(EndReason::Error),
        },
    )
    .unwrap();
    assert_eq!(failed.kind, NoticeKind::Failed);
    assert!(failed.body.ends_with("the model refused the key"));
    let cancelled = Event::StatusChanged {
        status: TaskStatus::Cancelled,
        reason: None,
        end: Some(EndReason::Cancelled),
    };
    assert_eq!(
        Notification::for_event(about(&task, prompt), &cancelled),
        None
    );
    let text = Event::Notice {
        message: "hello".into(),
    };
    assert_eq!(Notification::for_event(about(&task, prompt), &text), None);
}

#[test]
fn a_scheduled_runs_notices_name_the_schedule_and_tell_the_hook() {
    let task = TaskId::new();
    let standup = About {
        task: &task,
        prompt: "Summarise yesterday's commits",
        schedule: Some("Standup"),
    };
    let asked = Event::ApprovalRequested {
        call_id: "c".into(),
        tool: "Write".into(),
        effect: cowork_protocol::Effect::Write,
        summary: "write notes.md".into(),
    };
    let waiting = Notification::for_event(standup, &asked).unwrap();
    assert_eq!(
        waiting.title,
        "Scheduled task “Standup” waits for your approval"
    );
    let done = Notification::for_event(standup, &finished()).unwrap();
    assert_eq!(done.title, "Scheduled task “Standup” finished");
    let json = serde_json::to_value(&done).unwrap();
    assert_eq!(json["schedule"], "Standup");
    assert_eq!(json["kind"], "finished");
    // A task nobody scheduled says so in its title, and its JSON has no
    // schedule key at all.
    let plain = Notification::for_event(about(&task, "p"), &finished()).unwrap();
    assert_eq!(plain.title, "cowork: task finished");
    assert!(
        serde_json::to_value(&plain)
            .unwrap()
            .get("schedule")
            .is_none()
    );
}

#[test]
fn a_long_prompt_is_cut_to_one_short_line() {
    let long = "x".repeat(500);
    let cut = excerpt(&format!("\n\n{long}\nsecond line"));
    assert_eq!(cut.chars().count(), EXCERPT_CHARS);
    assert!(cut.ends_with('…'));
}

#[tokio::test]
async fn notify_send_gets_the_title_and_body_as_arguments_never_as_options() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args");
    program(
        dir.path(),
        "notify-send",
        &format!("printf '%s\\n' \"$@\" > {}", log.display()),
    );
    let notifier = Notifier::from_config(
        &NotificationsConfig::default(),
        Some(dir.path().as_os_str().to_owned()),
    );
    let notice = Notification {
        kind: NoticeKind::Failed,
        task: TaskId::new(),
        schedule: None,
        title: "--help me".into(),
        body: "it broke".into(),
    };
    assert_eq!(
        notifier.send(&notice).await,
        vec![Delivery::Desktop(Ok(()))]
    );
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "--app-name=cowork",
            "--urgency=critical",
            "--",
            "--help me",
            "it broke"
        ]
    );
}

#[tokio::test]
async fn without_notify_send_gdbus_gets_quoted_gvariant_strings() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args");
    program(
        dir.path(),
        "gdbus",
        &format!("printf '%s\\n' \"$@\" > {}", log.display()),
    );
    let notifier = Notifier::from_config(
        &NotificationsConfig::default(),
        Some(dir.path().as_os_str().to_owned()),
    );
    let notice = Notification {
        kind: NoticeKind::Finished,
        task: TaskId::new(),
        schedule: None,
        title: "cowork: task finished".into(),
        body: "it's 'done' \\ true".into(),
    };
    assert_eq!(
        notifier.send(&notice).await,
        vec![Delivery::Desktop(Ok(()))]
    );
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<_> = args.lines().collect();
    assert_eq!(args[..2], ["call", "--session"]);
    assert!(args.contains(&"'cowork: task finished'"), "{args:?}");
    assert!(args.contains(&r"'it\'s \'done\' \\ true'"), "{args:?}");
    assert!(args.contains(&"{'urgency': <byte 1>}"), "{args:?}");
}

#[tokio::test]
async fn the_persons_command_gets_the_notice_as_json_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("got.json");
    let hook = program(dir.path(), "hook", &format!("cat > {}", out.display()));
    let config = NotificationsConfig {
        desktop: false,
        command: vec![hook.to_string_lossy().into_owned()],
    };
    let notifier = Notifier::from_config(&config, None);
    let task = TaskId::new();
    let notice = Notification::for_event(about(&task, "Weekly digest"), &finished()).unwrap();
    assert_eq!(
        notifier.send(&notice).await,
        vec![Delivery::Command(Ok(()))]
    );
    let got: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(got["kind"], "finished");
    assert_eq!(got["task"], task.as_str());
    assert_eq!(got["body"], "Weekly digest");
}

#[tokio::test]
async fn a_hung_or_failing_command_is_reported_and_does_not_hold_up_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let hangs = program(dir.path(), "hangs", "sleep 30");
    let fails = program(dir.path(), "fails", "echo 'no route to phone' >&2; exit 3");
    let notice = Notification::for_event(about(&TaskId::new(), "p"), &finished()).unwrap();
    let start = std::time::Instant::now();
    let hung = Notifier::from_config(
        &NotificationsConfig {
            desktop: false,
            command: vec![hangs.to_string_lossy().into_owned()],
        },
        None,
    )
    .with_limit(Duration::from_millis(300))
    .send(&notice)
    .await;
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&hung[..], [Delivery::Command(Err(e))] if e.contains("did not finish within 0.3 s")),
        "{hung:?}"
    );
    let failed = Notifier::from_config(
        &NotificationsConfig {
            desktop: false,
            command: vec![fails.to_string_lossy().into_owned()],
        },
        None,
    )
    .send(&notice)
    .await;
    assert!(
        matches!(&failed[..], [Delivery::Command(Err(e))] if e.contains("exit status: 3") && e.contains("no route to phone")),
        "{failed:?}"
    );
}

#[test]
fn desktop_off_or_no_program_found_means_no_desktop_notice() {
    let dir = tempfile::tempdir().unwrap();
    program(dir.path(), "notify-send", "true");
    let path = Some(dir.path().as_os_str().to_owned());
    let off = NotificationsConfig {
        desktop: false,
        command: Vec::new(),
    };
    assert!(!Notifier::from_config(&off, path.clone()).is_active());
    assert!(Notifier::from_config(&NotificationsConfig::default(), path).is_active());
    let empty = tempfile::tempdir().unwrap();
    assert!(
        !Notifier::from_config(
            &NotificationsConfig::default(),
            Some(empty.path().as_os_str().to_owned())
        )
        .is_active()
    );
}
