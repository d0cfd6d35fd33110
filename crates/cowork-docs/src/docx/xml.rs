//! Text into WordprocessingML: escaping, and runs that keep tabs and line
//! breaks as Word elements.

/// Appends `text` escaped for XML content or a quoted attribute value.
/// Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE,
/// U+FFFF) are dropped: one of them would make Word refuse the whole file.
pub(super) fn escape_into(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\t' | '\n' | '\r' => continue,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        start = i + c.len_utf8();
    }
    out.push_str(&text[start..]);
}

/// `text` escaped, as a new string.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Appends one run (`<w:r>`) holding `text` with run properties `rpr`
/// (already XML, possibly empty). Tabs become `<w:tab/>` and newlines
/// `<w:br/>`, as Word does not honour them inside `<w:t>`.
pub(super) fn run(out: &mut String, rpr: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    out.push_str("<w:r>");
    out.push_str(rpr);
    let mut first = true;
    for line in text.split('\n') {
        if !first {
            out.push_str("<w:br/>");
        }
        first = false;
        let mut first_piece = true;
        for piece in line.split('\t') {
            if !first_piece {
                out.push_str("<w:tab/>");
            }
            first_piece = false;
            let piece = piece.strip_suffix('\r').unwrap_or(piece);
            if !piece.is_empty() {
                out.push_str("<w:t xml:space=\"preserve\">");
                escape_into(out, piece);
                out.push_str("</w:t>");
            }
        }
    }
    out.push_str("</w:r>");
}

/// Appends a complex field (`PAGE`, `NUMPAGES`, `SEQ Figure` ...) whose
/// result shows `cached` until the reader updates fields.
pub(super) fn field(out: &mut String, rpr: &str, instruction: &str, cached: &str) {
    out.push_str("<w:r>");
    out.push_str(rpr);
    out.push_str("<w:fldChar w:fldCharType=\"begin\"/></w:r><w:r>");
    out.push_str(rpr);
    out.push_str("<w:instrText xml:space=\"preserve\"> ");
    escape_into(out, instruction);
    out.push_str(" </w:instrText></w:r><w:r>");
    out.push_str(rpr);
    out.push_str("<w:fldChar w:fldCharType=\"separate\"/></w:r>");
    run(out, rpr, cached);
    out.push_str("<w:r>");
    out.push_str(rpr);
    out.push_str("<w:fldChar w:fldCharType=\"end\"/></w:r>");
}
