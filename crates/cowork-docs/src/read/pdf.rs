//! PDF → text per page (`## Page N`), with pdf-extract.
//!
//! pdf-extract panics on malformed input by design, so every call into it
//! runs under `catch_unwind`; a panic while loading the file makes it
//! `Corrupt`, a panic on one page only loses that page. Out-of-memory
//! cannot be caught, so what the file declares is checked first
//! ([`super::pdf_scan`]).

use pdf_extract::{Document, PlainTextOutput};

use super::{ReadOptions, quietly};
use crate::error::DocsError;

const FORMAT: &str = "PDF";

pub(crate) fn read(bytes: &[u8], options: &ReadOptions) -> Result<String, DocsError> {
    // The header may follow a little junk, as viewers tolerate.
    let head = bytes.get(..1024).unwrap_or(bytes);
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(DocsError::corrupt(
            FORMAT,
            "no `%PDF-` header: this is not a PDF file",
        ));
    }
    // lopdf allocates by what the file declares: check that first.
    super::pdf_scan::check(bytes)?;
    let document = quietly(|| load(bytes)).unwrap_or_else(|panic| {
        Err(DocsError::corrupt(
            FORMAT,
            format!("the PDF parser gave up: {panic}"),
        ))
    })?;
    let pages = document.get_pages();
    if pages.is_empty() {
        return Err(DocsError::corrupt(FORMAT, "the file has no pages"));
    }

    let total = pages.len();
    let mut out = String::new();
    let mut chars = 0;
    for &number in pages.keys() {
        let text = match quietly(|| page_text(&document, number)) {
            Ok(Ok(text)) => tidy(&text),
            Ok(Err(reason)) | Err(reason) => {
                format!("(the text of this page could not be extracted: {reason})")
            }
        };
        let section = if text.is_empty() {
            format!("## Page {number}\n\n(no text on this page; it may be a scanned image)\n\n")
        } else {
            format!("## Page {number}\n\n{text}\n\n")
        };
        let length = section.chars().count();
        if chars + length > options.max_chars {
            let room = options.max_chars.saturating_sub(chars);
            out.extend(section.chars().take(room));
            out.push_str(&format!(
                "\n\n[Stopped at {} characters: page {number} of {total} is cut short{}.]\n",
                options.max_chars,
                if (number as usize) < total {
                    format!(" and pages {}–{total} are not shown", number + 1)
                } else {
                    String::new()
                },
            ));
            return Ok(out);
        }
        out.push_str(&section);
        chars += length;
    }
    Ok(out.trim_end().to_owned() + "\n")
}

/// Loads the document, opening encrypted files that have an empty user
/// password (as every viewer does) and refusing the rest.
fn load(bytes: &[u8]) -> Result<Document, DocsError> {
    let mut document = match Document::load_mem(bytes) {
        Ok(document) => document,
        Err(e) if has_encrypt_entry(bytes) => {
            return Err(match e {
                pdf_extract::Error::Decryption(_) => DocsError::Encrypted { format: FORMAT },
                other => DocsError::corrupt(FORMAT, other),
            });
        }
        Err(e) => return Err(DocsError::corrupt(FORMAT, e)),
    };
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(DocsError::Encrypted { format: FORMAT });
    }
    Ok(document)
}

fn has_encrypt_entry(bytes: &[u8]) -> bool {
    bytes.windows(8).any(|w| w == b"/Encrypt")
}

fn page_text(document: &Document, number: u32) -> Result<String, String> {
    let mut text = String::new();
    let mut output = PlainTextOutput::new(&mut text);
    pdf_extract::output_doc_page(document, &mut output, number).map_err(|e| e.to_string())?;
    Ok(text)
}

/// pdf-extract's text with runs of blank lines squeezed and trailing
/// spaces dropped.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
#[path = "pdf_tests.rs"]
mod tests;
