//! The styles, numbering and settings parts: named styles a Word user
//! expects (Heading 1–3, List Bullet, Table Grid, Quote ...), so the result
//! is edited like any Word document rather than as direct formatting.

use std::fmt::Write as _;

/// Body text font. Calibri ships with Office; LibreOffice substitutes the
/// metric-compatible Carlito where it is installed.
const BODY_FONT: &str = "Calibri";
/// Code font; ships with Office, and fontconfig picks a monospace
/// substitute elsewhere.
const CODE_FONT: &str = "Consolas";
/// Headings and title.
const ACCENT: &str = "1F4E79";
/// Second-level headings, links to the accent.
const ACCENT_LIGHT: &str = "2E74B5";
/// Secondary text: subtitle, captions, header and footer.
const MUTED: &str = "595959";
/// Table and rule lines.
pub(super) const LINE: &str = "BFBFBF";
/// Table header fill.
pub(super) const HEADER_FILL: &str = "1F4E79";
/// Every other body row of a table.
pub(super) const BAND_FILL: &str = "F2F6FA";

/// Left indent of list level `ilvl` (0-based), in twips; the marker hangs
/// 360 twips to its left.
pub(super) fn list_indent(ilvl: u8) -> u32 {
    720 + 360 * u32::from(ilvl)
}

/// The paragraph style of a list item at `ilvl`: Word's "List Bullet",
/// "List Bullet 2", "List Bullet 3" (and "List Number" ...).
pub(super) fn list_style(ordered: bool, ilvl: u8) -> &'static str {
    match (ordered, ilvl) {
        (false, 0) => "ListBullet",
        (false, 1) => "ListBullet2",
        (false, _) => "ListBullet3",
        (true, 0) => "ListNumber",
        (true, 1) => "ListNumber2",
        (true, _) => "ListNumber3",
    }
}

/// `word/styles.xml`.
pub(super) fn styles_xml() -> String {
    let mut s = String::with_capacity(12_000);
    s.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#,
        r#"<w:docDefaults><w:rPrDefault><w:rPr>"#,
    ));
    let _ = write!(
        s,
        r#"<w:rFonts w:ascii="{BODY_FONT}" w:hAnsi="{BODY_FONT}" w:eastAsia="{BODY_FONT}" w:cs="{BODY_FONT}"/>"#
    );
    s.push_str(concat!(
        r#"<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-US" w:eastAsia="en-US" w:bidi="ar-SA"/>"#,
        r#"</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"#,
        r#"<w:spacing w:after="160" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>"#,
        r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>"#,
        r#"<w:rPr><w:color w:val="262626"/></w:rPr></w:style>"#,
        r#"<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#,
        r#"<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>"#,
        r#"<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#,
        r#"<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#,
    ));
    // Title page and headings.
    paragraph_style(
        &mut s,
        "Title",
        "Title",
        "Subtitle",
        10,
        r#"<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="8" w:color="1F4E79"/></w:pBdr><w:spacing w:before="0" w:after="240" w:line="240" w:lineRule="auto"/><w:contextualSpacing/>"#,
        &format!(
            r#"<w:b/><w:color w:val="{ACCENT}"/><w:kern w:val="28"/><w:sz w:val="56"/><w:szCs w:val="56"/>"#
        ),
    );
    paragraph_style(
        &mut s,
        "Subtitle",
        "Subtitle",
        "Normal",
        11,
        r#"<w:spacing w:after="480"/>"#,
        &format!(r#"<w:color w:val="{MUTED}"/><w:sz w:val="32"/><w:szCs w:val="32"/>"#),
    );
    for (level, size, before, after, color) in [
        (1u8, 32u32, 360u32, 120u32, ACCENT),
        (2, 26, 280, 100, ACCENT_LIGHT),
        (3, 23, 220, 80, ACCENT),
    ] {
        let _ = write!(
            s,
            r#"<w:style w:type="paragraph" w:styleId="Heading{level}"><w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="{before}" w:after="{after}"/><w:outlineLvl w:val="{}"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="{color}"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr></w:style>"#,
            level - 1
        );
    }
    // Lists: the numbering is given on each paragraph (restarts need their
    // own `w:num`), the styles carry spacing so items sit close together.
    for (id, name) in [
        ("ListBullet", "List Bullet"),
        ("ListBullet2", "List Bullet 2"),
        ("ListBullet3", "List Bullet 3"),
        ("ListNumber", "List Number"),
        ("ListNumber2", "List Number 2"),
        ("ListNumber3", "List Number 3"),
    ] {
        paragraph_style(&mut s, id, name, id, 36, r#"<w:spacing w:after="60"/>"#, "");
    }
    paragraph_style(
        &mut s,
        "ListContinue",
        "List Continue",
        "ListContinue",
        36,
        r#"<w:spacing w:after="60"/><w:ind w:left="720"/>"#,
        "",
    );
    paragraph_style(
        &mut s,
        "Quote",
        "Quote",
        "Normal",
        29,
        &format!(
            r#"<w:pBdr><w:left w:val="single" w:sz="18" w:space="8" w:color="{ACCENT_LIGHT}"/></w:pBdr><w:spacing w:before="120" w:after="120"/><w:ind w:left="360" w:right="360"/>"#
        ),
        &format!(r#"<w:i/><w:iCs/><w:color w:val="{MUTED}"/>"#),
    );
    paragraph_style(
        &mut s,
        "Code",
        "Code",
        "Normal",
        39,
        r#"<w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="E1E4E8"/><w:left w:val="single" w:sz="4" w:space="4" w:color="E1E4E8"/><w:bottom w:val="single" w:sz="4" w:space="4" w:color="E1E4E8"/><w:right w:val="single" w:sz="4" w:space="4" w:color="E1E4E8"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="F6F8FA"/><w:spacing w:before="120" w:after="200" w:line="240" w:lineRule="auto"/><w:ind w:left="113" w:right="113"/>"#,
        &format!(
            r#"<w:rFonts w:ascii="{CODE_FONT}" w:hAnsi="{CODE_FONT}" w:cs="{CODE_FONT}"/><w:noProof/><w:color w:val="24292E"/><w:sz w:val="19"/><w:szCs w:val="19"/>"#
        ),
    );
    paragraph_style(
        &mut s,
        "Caption",
        "caption",
        "Normal",
        35,
        r#"<w:spacing w:before="60" w:after="240"/><w:jc w:val="center"/>"#,
        &format!(
            r#"<w:i/><w:iCs/><w:color w:val="{MUTED}"/><w:sz w:val="18"/><w:szCs w:val="18"/>"#
        ),
    );
    paragraph_style(
        &mut s,
        "Figure",
        "Figure",
        "Caption",
        35,
        r#"<w:keepNext/><w:spacing w:before="120" w:after="0"/><w:jc w:val="center"/>"#,
        "",
    );
    paragraph_style(
        &mut s,
        "TableText",
        "Table Text",
        "TableText",
        40,
        r#"<w:spacing w:before="40" w:after="40" w:line="240" w:lineRule="auto"/>"#,
        r#"<w:sz w:val="20"/><w:szCs w:val="20"/>"#,
    );
    paragraph_style(
        &mut s,
        "TableHeading",
        "Table Heading",
        "TableHeading",
        40,
        r#"<w:keepNext/><w:spacing w:before="40" w:after="40" w:line="240" w:lineRule="auto"/>"#,
        r#"<w:b/><w:bCs/><w:color w:val="FFFFFF"/><w:sz w:val="20"/><w:szCs w:val="20"/>"#,
    );
    paragraph_style(
        &mut s,
        "TOCHeading",
        "TOC Heading",
        "Normal",
        39,
        r#"<w:keepNext/><w:spacing w:before="0" w:after="240"/>"#,
        &format!(
            r#"<w:b/><w:bCs/><w:color w:val="{ACCENT}"/><w:sz w:val="32"/><w:szCs w:val="32"/>"#
        ),
    );
    for (level, indent, before) in [(1u8, 0u32, 120u32), (2, 220, 0), (3, 440, 0)] {
        let bold = if level == 1 { "<w:b/>" } else { "" };
        paragraph_style(
            &mut s,
            &format!("TOC{level}"),
            &format!("toc {level}"),
            "Normal",
            39,
            &format!(r#"<w:spacing w:before="{before}" w:after="60"/><w:ind w:left="{indent}"/>"#),
            bold,
        );
    }
    paragraph_style(
        &mut s,
        "Header",
        "header",
        "Normal",
        99,
        r#"<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>"#,
        &format!(r#"<w:color w:val="{MUTED}"/><w:sz w:val="18"/><w:szCs w:val="18"/>"#),
    );
    paragraph_style(
        &mut s,
        "Footer",
        "footer",
        "Normal",
        99,
        r#"<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>"#,
        &format!(r#"<w:color w:val="{MUTED}"/><w:sz w:val="18"/><w:szCs w:val="18"/>"#),
    );
    let _ = write!(
        s,
        concat!(
            r#"<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style>"#,
            r#"<w:style w:type="character" w:styleId="CodeChar"><w:name w:val="Code Char"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="39"/><w:qFormat/><w:rPr><w:rFonts w:ascii="{code}" w:hAnsi="{code}" w:cs="{code}"/><w:noProof/><w:color w:val="C7254E"/><w:sz w:val="20"/><w:szCs w:val="20"/><w:shd w:val="clear" w:color="auto" w:fill="F3F4F6"/></w:rPr></w:style>"#,
            r#"<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/><w:uiPriority w:val="39"/>"#,
            r#"<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>"#,
            r#"<w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="{line}"/><w:left w:val="single" w:sz="4" w:space="0" w:color="{line}"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="{line}"/><w:right w:val="single" w:sz="4" w:space="0" w:color="{line}"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="{line}"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="{line}"/></w:tblBorders>"#,
            r#"<w:tblCellMar><w:top w:w="29" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="29" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr>"#,
            r#"<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/><w:color w:val="FFFFFF"/></w:rPr><w:tblPr/><w:trPr><w:tblHeader/></w:trPr><w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{fill}"/></w:tcPr></w:tblStylePr>"#,
            r#"</w:style></w:styles>"#,
        ),
        code = CODE_FONT,
        line = LINE,
        fill = HEADER_FILL,
    );
    s
}

/// Appends a paragraph style based on Normal. `next` is the style Word
/// gives the paragraph after one of these when the user presses Enter.
fn paragraph_style(
    s: &mut String,
    id: &str,
    name: &str,
    next: &str,
    priority: u32,
    ppr: &str,
    rpr: &str,
) {
    let _ = write!(
        s,
        r#"<w:style w:type="paragraph" w:styleId="{id}"><w:name w:val="{name}"/><w:basedOn w:val="Normal"/><w:next w:val="{next}"/><w:uiPriority w:val="{priority}"/><w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"#
    );
}

/// The `w:numId` of every bullet list (bullets need no restarts).
pub(super) const BULLET_NUM: u32 = 1;

/// Numbered lists seen so far: each gets its own `w:num` so it restarts at
/// its own first number.
#[derive(Debug, Default)]
pub(super) struct Numbering {
    /// (ilvl, start) of numbered lists; list `i` has `w:numId` `i + 2`.
    ordered: Vec<(u8, u64)>,
}

impl Numbering {
    /// A new numbered list at `ilvl` starting at `start`; its `w:numId`.
    pub(super) fn ordered(&mut self, ilvl: u8, start: u64) -> u32 {
        self.ordered.push((ilvl, start));
        u32::try_from(self.ordered.len()).map_or(u32::MAX, |n| n.saturating_add(1))
    }

    /// `word/numbering.xml`: abstract definition 0 is bullets, 1 numbers,
    /// nine levels each.
    pub(super) fn xml(&self) -> String {
        let mut s = String::with_capacity(4_000 + self.ordered.len() * 160);
        s.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#);
        s.push_str(
            r#"<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="hybridMultilevel"/>"#,
        );
        for ilvl in 0..9u8 {
            let (bullet, font) = match ilvl % 3 {
                0 => ("\u{2022}", "Calibri"),
                1 => ("\u{25E6}", "Calibri"),
                _ => ("\u{25AA}", "Calibri"),
            };
            let _ = write!(
                s,
                r#"<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="{bullet}"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{}" w:hanging="360"/></w:pPr><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:hint="default"/><w:color w:val="{ACCENT}"/></w:rPr></w:lvl>"#,
                list_indent(ilvl)
            );
        }
        s.push_str(r#"</w:abstractNum><w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/>"#);
        for ilvl in 0..9u8 {
            let format = match ilvl % 3 {
                0 => "decimal",
                1 => "lowerLetter",
                _ => "lowerRoman",
            };
            let _ = write!(
                s,
                r#"<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{format}"/><w:lvlText w:val="%{}."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{}" w:hanging="360"/></w:pPr></w:lvl>"#,
                ilvl + 1,
                list_indent(ilvl)
            );
        }
        s.push_str("</w:abstractNum>");
        let _ = write!(
            s,
            r#"<w:num w:numId="{BULLET_NUM}"><w:abstractNumId w:val="0"/></w:num>"#
        );
        for (i, (ilvl, start)) in self.ordered.iter().enumerate() {
            let _ = write!(
                s,
                r#"<w:num w:numId="{}"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{}"/></w:lvlOverride></w:num>"#,
                i + 2,
                (*start).min(2_147_483_647)
            );
        }
        s.push_str("</w:numbering>");
        s
    }
}

/// `word/settings.xml`. `update_fields` asks Word to refresh fields (the
/// table of contents' page numbers) when the file is opened.
pub(super) fn settings_xml(update_fields: bool) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#,
        r#"<w:zoom w:percent="100"/>"#,
        r#"<w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/>"#,
    ));
    // The schema orders `updateFields` after the tab stop and before `compat`.
    if update_fields {
        s.push_str(r#"<w:updateFields w:val="true"/>"#);
    }
    s.push_str(concat!(
        r#"<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>"#,
        r#"</w:settings>"#,
    ));
    s
}

#[cfg(test)]
#[path = "styles_tests.rs"]
mod tests;
