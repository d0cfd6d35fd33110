//! The line of every value in a JSON text, by its path, so a problem found
//! after parsing (an unknown event, a bad matcher) can name the line of the
//! key that holds it. serde_json gives lines for syntax errors only.

use crate::format::jsonpos::{JsonLines, child};

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Where each value of one JSON text starts (the line of its key for an
/// object member): the loader's scanner, addressed by path.
#[derive(Debug, Default)]
pub(crate) struct Lines(JsonLines);

impl Lines {
    /// Scans `text`, which serde_json already accepted; a text it did not
    /// accept yields whatever was found before the problem.
    pub(crate) fn scan(text: &str) -> Self {
        Self(JsonLines::scan(text))
    }

    /// The line of `path`, or of its nearest ancestor that has one.
    pub(crate) fn line(&self, path: &[Seg]) -> Option<u32> {
        let pointer = path.iter().fold(String::new(), |pointer, seg| match seg {
            Seg::Key(key) => child(&pointer, key),
            Seg::Index(index) => format!("{pointer}/{index}"),
        });
        self.0.line(&pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.to_owned())
    }

    #[test]
    fn members_and_elements_are_found_on_their_own_lines() {
        let text = "{\n  \"a\": [\n    {\"b\": 1},\n    {\n      \"c\\\"d\": \"x\"\n    }\n  ],\n  \"e\": null\n}";
        let lines = Lines::scan(text);
        assert_eq!(lines.line(&[]), Some(1));
        assert_eq!(lines.line(&[key("a")]), Some(2));
        assert_eq!(lines.line(&[key("a"), Seg::Index(0), key("b")]), Some(3));
        assert_eq!(lines.line(&[key("a"), Seg::Index(1)]), Some(4));
        assert_eq!(lines.line(&[key("a"), Seg::Index(1), key("c\"d")]), Some(5));
        assert_eq!(lines.line(&[key("e")]), Some(8));
    }

    #[test]
    fn an_unknown_path_falls_back_to_its_nearest_ancestor() {
        let lines = Lines::scan("{\n\"a\":\n {\"b\": 2}}");
        assert_eq!(lines.line(&[key("a"), key("zzz"), Seg::Index(3)]), Some(2));
    }
}
