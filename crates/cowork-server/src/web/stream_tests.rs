use super::*;
use crate::web::fixtures::{hostile_log, sample_log, task_id};

fn all_fragments(after: u64, log: &[Envelope]) -> Vec<Fragment> {
    let mut renderer = Renderer::new(&task_id(), "csrf-token".into(), after);
    log.iter().flat_map(|e| renderer.fragments(e)).collect()
}

fn show(fragments: &[Fragment]) -> String {
    fragments
        .iter()
        .map(|f| format!("event: {} id: {}\n{}\n", f.event, f.id, f.data.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_sample_task_streams_as_these_fragments() {
    insta::assert_snapshot!(show(&all_fragments(0, &sample_log())));
}

#[test]
fn stored_events_the_page_has_are_not_sent_again() {
    let log = sample_log();
    let after = log[6].seq;
    let fragments = all_fragments(after, &log);
    let stored = fragments.iter().filter(|f| f.event != "delta");
    assert!(stored.clone().all(|f| f.id > after), "{fragments:?}");
    // The step finished after the page loaded is rendered whole: it
    // still knows the call's target from the message before `after`.
    let edit = fragments
        .iter()
        .find(|f| f.data.contains("hx-swap-oob") && f.data.contains("state-done"))
        .unwrap();
    assert!(edit.data.contains("12 ms"), "{}", edit.data);
    assert!(edit.data.contains(">notes.md<"), "{}", edit.data);
}

#[test]
fn live_text_deltas_are_sent_even_with_the_seq_of_a_stored_event() {
    let log = sample_log();
    // Deltas carry the seq of the last stored event (2); a page that
    // stopped there still needs them.
    let fragments = all_fragments(log[2].seq, &log[..4]);
    let deltas: Vec<&str> = fragments
        .iter()
        .filter(|f| f.event == "delta")
        .map(|f| f.data.as_str())
        .collect();
    assert_eq!(deltas, vec!["I&#x27;ll fix ", "the notes."]);
}

#[test]
fn hostile_names_and_text_never_become_markup() {
    let html = show(&all_fragments(0, &hostile_log()));
    for bad in [
        "<script",
        "<img",
        "<svg",
        "<b>Tool",
        "<i>reason",
        "javascript:",
    ] {
        assert!(!html.contains(bad), "{bad} in:\n{html}");
    }
    insta::assert_snapshot!(html);
}

#[test]
fn a_file_change_tells_the_files_panel_to_reload() {
    let fragments = all_fragments(0, &sample_log());
    let files: Vec<&Fragment> = fragments.iter().filter(|f| f.event == "files").collect();
    assert_eq!(files.len(), 1);
    // Regression: an event with empty data is never dispatched by
    // EventSource, so the panel never reloaded.
    assert!(!files[0].data.is_empty());
}

#[test]
fn a_stream_forgets_outputs_it_sent_but_still_renders_what_follows() {
    let log = sample_log();
    let mut renderer = Renderer::new(&task_id(), String::new(), 0);
    let html: String = log
        .iter()
        .flat_map(|e| renderer.fragments(e))
        .map(|f| f.data)
        .collect();
    // The edit's diff and the command's output were sent …
    assert!(html.contains("+final") && html.contains("make: *** [all] Error 2"));
    // … and are no longer kept.
    let kept = serde_json::to_string(&renderer.view).unwrap();
    assert!(!kept.contains("+final"), "{kept}");
    assert!(!kept.contains("Error 2"), "{kept}");
    // The pending write still has its question, and the task's end still
    // renders the lapsed question.
    assert!(kept.contains("create /data/reports/report.md"), "{kept}");
    let end = Envelope {
        task: task_id(),
        seq: log.last().unwrap().seq + 1,
        at: 0,
        event: cowork_protocol::Event::StatusChanged {
            status: cowork_protocol::TaskStatus::Completed,
            reason: None,
            end: None,
        },
    };
    let html: String = renderer
        .fragments(&end)
        .into_iter()
        .map(|f| f.data)
        .collect();
    assert!(
        html.contains("not answered before the task ended"),
        "{html}"
    );
}
