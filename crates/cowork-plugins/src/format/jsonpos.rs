//! Lines of the keys and values of a JSON file, by JSON pointer, so a
//! problem found after parsing ("author" has the wrong type) names the
//! line it is on. serde_json gives lines only for syntax errors.

use std::collections::HashMap;

/// JSON pointer (`/plugins/3/source`) → 1-based line. Object members map
/// to the line of their key, array elements to the line they start on.
#[derive(Debug, Default)]
pub(crate) struct JsonLines {
    lines: HashMap<String, u32>,
}

impl JsonLines {
    /// Scans `text`, which should be valid JSON (parse it first); on
    /// anything else it stops early and knows fewer lines.
    pub(crate) fn scan(text: &str) -> Self {
        let mut scanner = Scanner {
            text,
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
            lines: HashMap::new(),
        };
        scanner.skip_space();
        let first = scanner.line;
        scanner.lines.insert(String::new(), first);
        scanner.value("");
        Self {
            lines: scanner.lines,
        }
    }

    /// The line of `pointer`, or of its nearest ancestor that has one.
    pub(crate) fn line(&self, pointer: &str) -> Option<u32> {
        let mut pointer = pointer;
        loop {
            if let Some(line) = self.lines.get(pointer) {
                return Some(*line);
            }
            let cut = pointer.rfind('/')?;
            pointer = &pointer[..cut];
        }
    }
}

/// `pointer` with `key` appended, escaped as RFC 6901 says.
pub(crate) fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    line: u32,
    lines: HashMap<String, u32>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    /// Returns false when the text stops making sense.
    fn value(&mut self, pointer: &str) -> bool {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(pointer),
            Some(b'[') => self.array(pointer),
            Some(b'"') => self.string().is_some(),
            Some(_) => {
                while let Some(byte) = self.peek() {
                    if matches!(byte, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.at += 1;
                }
                true
            }
            None => false,
        }
    }

    /// A string token, decoded. JSON strings hold no raw newlines, so the
    /// line does not move.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        self.at += 1;
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'\\' => self.at += 1,
                b'"' => return serde_json::from_str(self.text.get(start..self.at)?).ok(),
                _ => {}
            }
        }
        None
    }

    fn object(&mut self, pointer: &str) -> bool {
        self.at += 1;
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'}') => {
                    self.at += 1;
                    return true;
                }
                Some(b'"') => {}
                _ => return false,
            }
            let line = self.line;
            let Some(key) = self.string() else {
                return false;
            };
            self.skip_space();
            if self.peek() != Some(b':') {
                return false;
            }
            self.at += 1;
            let inner = child(pointer, &key);
            self.lines.entry(inner.clone()).or_insert(line);
            if !self.value(&inner) {
                return false;
            }
            if !self.separator(b'}') {
                return false;
            }
        }
    }

    fn array(&mut self, pointer: &str) -> bool {
        self.at += 1;
        let mut index = 0usize;
        loop {
            self.skip_space();
            if self.peek() == Some(b']') {
                self.at += 1;
                return true;
            }
            let inner = child(pointer, &index.to_string());
            self.lines.insert(inner.clone(), self.line);
            if !self.value(&inner) {
                return false;
            }
            index += 1;
            if !self.separator(b']') {
                return false;
            }
        }
    }

    /// After a member or element: a comma (more follow) or the closing
    /// bracket, which is left for the caller's loop to consume.
    fn separator(&mut self, close: u8) -> bool {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                true
            }
            Some(byte) => byte == close,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_array_elements_map_to_their_lines() {
        let text = "{\n  \"name\": \"x\",\n  \"author\": 42,\n  \"plugins\": [\n    {\"source\": \"./a\"},\n    {\n      \"source\": {\"source\": \"url\"}\n    }\n  ],\n  \"a/b\": 1\n}";
        let lines = JsonLines::scan(text);
        assert_eq!(lines.line("/name"), Some(2));
        assert_eq!(lines.line("/author"), Some(3));
        assert_eq!(lines.line("/plugins/0/source"), Some(5));
        assert_eq!(lines.line("/plugins/1"), Some(6));
        assert_eq!(lines.line("/plugins/1/source/source"), Some(7));
        assert_eq!(lines.line("/a~1b"), Some(10));
        // Unknown pointers fall back to their nearest known ancestor.
        assert_eq!(lines.line("/plugins/1/nothing"), Some(6));
        assert_eq!(lines.line("/nothing"), Some(1), "the document itself");
    }

    #[test]
    fn escaped_quotes_in_strings_do_not_end_them() {
        let text = "{\"a\": \"say \\\"hi\\\"\",\n\"b\": [1,\n2]}";
        let lines = JsonLines::scan(text);
        assert_eq!(lines.line("/b"), Some(2));
        assert_eq!(lines.line("/b/1"), Some(3));
    }
}
