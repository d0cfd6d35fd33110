use std::time::Instant;

use cowork_protocol::{ContentBlock, Event, StopReason, Usage};

use super::{file_store, new_task};

/// For manual checks of append latency on a real file:
/// `cargo test -p cowork-store --release -- --ignored --nocapture appends`.
#[test]
#[ignore = "timing is for manual inspection, not a pass/fail check"]
fn ten_thousand_appends_report_their_cost() {
    let (_dir, store) = file_store();
    let id = new_task(&store, "timing");
    let event = Event::AssistantMessage {
        content: vec![ContentBlock::Text {
            text: "A typical answer of a sentence or two, about this long.".to_owned(),
        }],
        stop_reason: StopReason::EndTurn,
        usage: Usage {
            input_tokens: 1200,
            output_tokens: 80,
            ..Usage::default()
        },
    };
    const N: u32 = 10_000;
    let started = Instant::now();
    for _ in 0..N {
        store.append(&id, &event).unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "{N} appends in {elapsed:?}: {:.1} µs per append",
        elapsed.as_secs_f64() * 1e6 / f64::from(N)
    );
    assert_eq!(store.events(&id).unwrap().len(), N as usize + 1);
}
