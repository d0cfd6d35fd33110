//! An incremental Server-Sent Events parser.
//!
//! Bytes go in as the network delivers them — a chunk may end mid-line,
//! mid-UTF-8 character, or between the CR and LF of a line ending — and
//! complete events come out. It follows the WHATWG `text/event-stream`
//! rules that matter to model APIs: LF, CRLF and CR line endings, several
//! `data:` lines joined by `\n`, `:` comments, one optional space after the
//! colon, and `id`/`retry` fields accepted and ignored.
//!
//! ```
//! use cowork_model::sse::SseParser;
//! let mut parser = SseParser::default();
//! assert!(parser.feed(b"event: ping\nda").is_empty());
//! let events = parser.feed(b"ta: {}\n\n");
//! assert_eq!(events[0].event.as_deref(), Some("ping"));
//! assert_eq!(events[0].data, "{}");
//! ```

/// The most bytes one event (its unfinished line and its data) may hold.
/// Model APIs send one small delta per event; this bounds what a broken
/// or hostile server can make the parser buffer. Twice the cap on a whole
/// answer, so JSON escaping of one large delta still fits.
pub const MAX_EVENT_BYTES: usize = 2 * crate::MAX_RESPONSE_BYTES;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when the server named the event.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// The parser state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The bytes of a line that has not ended yet.
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF opening the next chunk
    /// belongs to that line ending, not to an empty line.
    skip_lf: bool,
    /// Whether the first line was seen, for stripping a UTF-8 BOM.
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    /// An event grew past [`MAX_EVENT_BYTES`]: everything after is ignored.
    overflowed: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SseParser {
    /// Whether an event grew past [`MAX_EVENT_BYTES`]. The parser then
    /// drops what it held and ignores the rest of the stream; the caller
    /// reports the stream as too large.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Feeds the next chunk of the stream; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if self.overflowed {
            return out;
        }
        let mut bytes = chunk;
        if self.skip_lf && !bytes.is_empty() {
            self.skip_lf = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b != b'\n' && b != b'\r' {
                i += 1;
                continue;
            }
            let event = if self.line.is_empty() {
                self.process_line(&bytes[start..i])
            } else {
                self.line.extend_from_slice(&bytes[start..i]);
                let line = std::mem::take(&mut self.line);
                let event = self.process_line(&line);
                // Keep the allocation for the next split line.
                self.line = line;
                self.line.clear();
                event
            };
            out.extend(event);
            i += 1;
            if b == b'\r' {
                match bytes.get(i) {
                    Some(b'\n') => i += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            start = i;
        }
        self.line.extend_from_slice(&bytes[start..]);
        if self.line.len() + self.data.len() > MAX_EVENT_BYTES {
            self.overflow();
        }
        out
    }

    fn overflow(&mut self) {
        *self = Self {
            overflowed: true,
            ..Self::default()
        };
    }

    /// Ends the stream: dispatches a last event the server did not close
    /// with a blank line. The parser is reset and may be reused.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if self.overflowed {
            return None;
        }
        let line = std::mem::take(&mut self.line);
        let mut event = None;
        if !line.is_empty() {
            event = self.process_line(&line);
        }
        if event.is_none() {
            event = self.dispatch();
        }
        *self = Self::default();
        event
    }

    fn process_line(&mut self, line: &[u8]) -> Option<SseEvent> {
        let mut line = line;
        if !self.started {
            self.started = true;
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line[0] == b':' {
            return None;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
                if self.data.len() > MAX_EVENT_BYTES {
                    self.overflow();
                }
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            // `id` and `retry` steer browser reconnection, which model
            // streams never use; unknown fields are ignored by the spec.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event: event.filter(|e| !e.is_empty()),
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
