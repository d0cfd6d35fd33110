//! The line of every value in a JSON text, by its path, so a problem found
//! after parsing (an unknown event, a bad matcher) can name the line of the
//! key that holds it. serde_json gives lines for syntax errors only.

use std::collections::HashMap;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Where each value of one JSON text starts (the line of its key for an
/// object member).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    lines: HashMap<Vec<Seg>, u32>,
}

impl Lines {
    /// Scans `text`, which serde_json already accepted; a text it did not
    /// accept yields whatever was found before the problem.
    pub(crate) fn scan(text: &str) -> Self {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            path: Vec::new(),
            found: Lines::default(),
        };
        scanner.skip_ws();
        let first = scanner.line;
        scanner.found.lines.insert(Vec::new(), first);
        scanner.value();
        scanner.found
    }

    /// The line of `path`, or of its nearest ancestor that has one.
    pub(crate) fn line(&self, path: &[Seg]) -> Option<u32> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.lines.get(&path[..len]).copied())
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    path: Vec<Seg>,
    found: Lines,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.pos += 1;
        }
    }

    /// Returns false when the text ends or is not JSON where it should be.
    fn value(&mut self) -> bool {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().is_some(),
            Some(_) => {
                // A number, true, false or null: up to the next delimiter.
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.pos += 1;
                }
                true
            }
            None => false,
        }
    }

    fn object(&mut self) -> bool {
        self.pos += 1;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return true;
                }
                Some(b',') => self.pos += 1,
                Some(b'"') => {
                    let line = self.line;
                    let Some(key) = self.string() else {
                        return false;
                    };
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return false;
                    }
                    self.pos += 1;
                    self.path.push(Seg::Key(key));
                    self.found.lines.insert(self.path.clone(), line);
                    let ok = self.value();
                    self.path.pop();
                    if !ok {
                        return false;
                    }
                }
                Some(_) | None => return false,
            }
        }
    }

    fn array(&mut self) -> bool {
        self.pos += 1;
        let mut index = 0;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return true;
                }
                Some(b',') => self.pos += 1,
                Some(_) => {
                    self.path.push(Seg::Index(index));
                    self.found.lines.insert(self.path.clone(), self.line);
                    let ok = self.value();
                    self.path.pop();
                    if !ok {
                        return false;
                    }
                    index += 1;
                }
                None => return false,
            }
        }
    }

    /// A string starting at the current quote, decoded.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => {
                    let raw = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
                    return serde_json::from_str(raw).ok();
                }
                b'\n' => self.line += 1,
                _ => {}
            }
        }
        None
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
