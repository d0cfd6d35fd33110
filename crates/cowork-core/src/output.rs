//! Keeping tool output within what a model turn should carry.

/// Cuts `text` to about `max` characters, keeping its start and end, with a
/// note in the middle saying how much is missing and how to read it.
pub fn truncate_tool_output(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let head_end = floor_char_boundary(text, max * 3 / 4);
    let tail_start = ceil_char_boundary(text, text.len() - max / 4);
    let omitted = tail_start - head_end;
    let omitted_lines = text[head_end..tail_start].matches('\n').count();
    format!(
        "{}\n\n[… output truncated: {omitted} characters ({omitted_lines} lines) omitted out of {}. \
         To see the omitted part, ask for less at a time: Read with offset and limit, \
         Grep with a narrower pattern, path, glob or head_limit, LS on a subfolder …]\n\n{}",
        &text[..head_end],
        text.len(),
        &text[tail_start..]
    )
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_unchanged() {
        assert_eq!(truncate_tool_output("abc", 10), "abc");
    }

    #[test]
    fn long_output_keeps_head_and_tail_and_says_how_to_read_the_rest() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let out = truncate_tool_output(&text, 1000);
        assert!(out.starts_with("line 0\n"));
        assert!(out.ends_with("line 999\n"));
        assert!(out.contains("output truncated"));
        assert!(out.contains("offset and limit"));
        assert!(out.len() < 1400, "{}", out.len());
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let text = "é".repeat(5000);
        let out = truncate_tool_output(&text, 999);
        assert!(out.contains("truncated"));
    }
}
