//! Decoding text files to lines, streaming, whatever their encoding.

use std::io::Read;

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, WINDOWS_1252};

/// Bytes read from the file per step.
const CHUNK: usize = 64 * 1024;

/// How a file's bytes become text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextEncoding {
    pub encoding: &'static Encoding,
    /// Length of the byte-order mark to skip.
    pub bom_len: usize,
    /// Whether the encoding was guessed because the bytes are not UTF-8.
    pub guessed: bool,
}

impl TextEncoding {
    /// Picks the encoding from a byte-order mark, else UTF-8 if `sample` is
    /// valid UTF-8 (a character cut at the end of the sample is fine), else
    /// Windows-1252, which decodes every byte and is what stray non-UTF-8
    /// text files usually are (Latin-1 exports from Windows tools).
    pub fn detect(sample: &[u8], sample_is_whole_file: bool) -> Self {
        if let Some((encoding, bom_len)) = Encoding::for_bom(sample) {
            return Self {
                encoding,
                bom_len,
                guessed: false,
            };
        }
        let utf8 = match std::str::from_utf8(sample) {
            Ok(_) => true,
            // `error_len() == None`: the sample ends mid-character.
            Err(err) => err.error_len().is_none() && !sample_is_whole_file,
        };
        Self {
            encoding: if utf8 { UTF_8 } else { WINDOWS_1252 },
            bom_len: 0,
            guessed: !utf8,
        }
    }

    /// A note for the model when the text is not plain UTF-8.
    pub fn note(&self) -> Option<String> {
        if self.guessed {
            Some(format!(
                "(the file is not valid UTF-8; it was decoded as {})",
                self.encoding.name()
            ))
        } else if self.encoding != UTF_8 {
            Some(format!("(decoded from {})", self.encoding.name()))
        } else {
            None
        }
    }
}

/// The lines of a byte stream, decoded incrementally so that a huge file
/// is never held in memory. Line ends (`\n`, `\r\n`) are removed.
pub(crate) struct DecodedLines<R> {
    reader: R,
    decoder: Decoder,
    buf: Vec<u8>,
    text: String,
    start: usize,
    eof: bool,
}

impl<R: Read> DecodedLines<R> {
    /// Lines of `reader`, whose bytes (after any BOM) are in `encoding`.
    pub fn new(reader: R, encoding: &'static Encoding) -> Self {
        Self {
            reader,
            decoder: encoding.new_decoder_without_bom_handling(),
            buf: vec![0; CHUNK],
            text: String::new(),
            start: 0,
            eof: false,
        }
    }

    /// The next line, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<String>> {
        loop {
            if let Some(end) = self.text[self.start..].find('\n') {
                let line = &self.text[self.start..self.start + end];
                let line = line.strip_suffix('\r').unwrap_or(line).to_owned();
                self.start += end + 1;
                return Ok(Some(line));
            }
            if self.eof {
                if self.start < self.text.len() {
                    let line = &self.text[self.start..];
                    let line = line.strip_suffix('\r').unwrap_or(line).to_owned();
                    self.start = self.text.len();
                    return Ok(Some(line));
                }
                return Ok(None);
            }
            self.fill()?;
        }
    }

    /// Skips the next line without building it; `false` at the end.
    pub fn skip_line(&mut self) -> std::io::Result<bool> {
        loop {
            if let Some(end) = self.text[self.start..].find('\n') {
                self.start += end + 1;
                return Ok(true);
            }
            if self.eof {
                let more = self.start < self.text.len();
                self.start = self.text.len();
                return Ok(more);
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        self.text.drain(..self.start);
        self.start = 0;
        let n = loop {
            match self.reader.read(&mut self.buf) {
                Ok(n) => break n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        };
        let last = n == 0;
        let mut input = &self.buf[..n];
        loop {
            let room = self
                .decoder
                .max_utf8_buffer_length(input.len())
                .unwrap_or(input.len().saturating_mul(3).saturating_add(16));
            self.text.reserve(room);
            let (result, read, _) = self.decoder.decode_to_string(input, &mut self.text, last);
            input = &input[read..];
            match result {
                CoderResult::InputEmpty => break,
                CoderResult::OutputFull => {}
            }
        }
        self.eof = last;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<String> {
        let encoding = TextEncoding::detect(bytes, true);
        let mut reader = DecodedLines::new(&bytes[encoding.bom_len..], encoding.encoding);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(line);
        }
        out
    }

    #[test]
    fn crlf_and_a_missing_final_newline_give_clean_lines() {
        assert_eq!(lines(b"a\r\nb\nc"), ["a", "b", "c"]);
        assert_eq!(lines(b"a\n\nb\n"), ["a", "", "b"]);
    }

    #[test]
    fn a_character_cut_by_the_sample_end_still_counts_as_utf8() {
        let text = "é".repeat(10);
        let cut = &text.as_bytes()[..5];
        assert_eq!(TextEncoding::detect(cut, false).encoding, UTF_8);
        assert_eq!(TextEncoding::detect(cut, true).encoding, WINDOWS_1252);
    }

    #[test]
    fn utf16_be_with_a_bom_is_decoded() {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in "hi\nyou".encode_utf16() {
            bytes.extend(unit.to_be_bytes());
        }
        assert_eq!(lines(&bytes), ["hi", "you"]);
    }

    #[test]
    fn lines_spanning_chunks_are_joined() {
        let long = "x".repeat(CHUNK * 2 + 7);
        let bytes = format!("{long}\nend\n");
        assert_eq!(lines(bytes.as_bytes()), [long, "end".to_owned()]);
    }
}
