//! The theme, the slide master and its layouts, and the notes master: the
//! parts that make titles and bodies real placeholders, so PowerPoint and
//! LibreOffice treat them as such and "Reset slide" restores the design.

use std::fmt::Write as _;

use super::geometry::{self as g, Rect};
use super::validate::Style;
use super::xml::{DECL, NS, escape};

/// The slide layouts this writer uses, in the master's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LayoutKind {
    Title,
    Content,
    Section,
    TwoContent,
    Comparison,
    TitleOnly,
}

impl LayoutKind {
    pub(crate) const ALL: [LayoutKind; 6] = [
        LayoutKind::Title,
        LayoutKind::Content,
        LayoutKind::Section,
        LayoutKind::TwoContent,
        LayoutKind::Comparison,
        LayoutKind::TitleOnly,
    ];

    /// The layout's part number (`slideLayoutN.xml`).
    pub(crate) fn number(self) -> usize {
        match self {
            LayoutKind::Title => 1,
            LayoutKind::Content => 2,
            LayoutKind::Section => 3,
            LayoutKind::TwoContent => 4,
            LayoutKind::Comparison => 5,
            LayoutKind::TitleOnly => 6,
        }
    }
}

/// Muted grey of slide numbers and captions.
pub(crate) const MUTED: &str = "6B7280";
/// The thin rules under column headings.
const RULE: &str = "D1D5DB";

/// Mixes `b` into `a` by `t` (0 = a, 1 = b); colours as `RRGGBB`.
pub(crate) fn blend(a: &str, b: &str, t: f64) -> String {
    let channel = |hex: &str, i: usize| {
        hex.get(i..i + 2)
            .and_then(|c| u8::from_str_radix(c, 16).ok())
            .map_or(0.0, f64::from)
    };
    let mut out = String::with_capacity(6);
    for i in [0, 2, 4] {
        let v = channel(a, i) * (1.0 - t) + channel(b, i) * t;
        let _ = write!(out, "{:02X}", v.round().clamp(0.0, 255.0) as u8);
    }
    out
}

/// The deck's theme: colour scheme and font scheme from `style`.
pub(crate) fn theme(style: &Style, name: &str) -> String {
    let heading = escape(&style.heading_font);
    let body = escape(&style.body_font);
    let color = |tag: &str, hex: &str| format!("<a:{tag}><a:srgbClr val=\"{hex}\"/></a:{tag}>");
    let mut colors = String::new();
    colors.push_str(&color("dk1", &style.text));
    colors.push_str(&color("lt1", &style.background));
    colors.push_str(&color("dk2", &style.primary));
    colors.push_str(&color("lt2", "F3F4F6"));
    colors.push_str(&color("accent1", &style.primary));
    colors.push_str(&color("accent2", &style.accent));
    for (tag, hex) in [
        ("accent3", "0072B2"),
        ("accent4", "009E73"),
        ("accent5", "D55E00"),
        ("accent6", "CC79A7"),
        ("hlink", "0072B2"),
        ("folHlink", "6B4C9A"),
    ] {
        colors.push_str(&color(tag, hex));
    }
    let fill = "<a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>";
    let line = |w: u32| {
        format!(
            "<a:ln w=\"{w}\" cap=\"flat\" cmpd=\"sng\" algn=\"ctr\">{fill}<a:prstDash val=\"solid\"/></a:ln>"
        )
    };
    let effect = "<a:effectStyle><a:effectLst/></a:effectStyle>";
    format!(
        "{DECL}<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"{name}\">\
<a:themeElements><a:clrScheme name=\"cowork\">{colors}</a:clrScheme>\
<a:fontScheme name=\"cowork\"><a:majorFont><a:latin typeface=\"{heading}\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:majorFont>\
<a:minorFont><a:latin typeface=\"{body}\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:minorFont></a:fontScheme>\
<a:fmtScheme name=\"cowork\"><a:fillStyleLst>{fill}{fill}{fill}</a:fillStyleLst>\
<a:lnStyleLst>{}{}{}</a:lnStyleLst><a:effectStyleLst>{effect}{effect}{effect}</a:effectStyleLst>\
<a:bgFillStyleLst>{fill}{fill}{fill}</a:bgFillStyleLst></a:fmtScheme></a:themeElements>\
<a:objectDefaults/><a:extraClrSchemeLst/></a:theme>",
        line(9525),
        line(19050),
        line(28575),
    )
}

/// A placeholder shape of a master or layout.
struct Placeholder<'a> {
    id: u32,
    name: &'a str,
    /// Attributes of `<p:ph>`, e.g. `type="title"`.
    ph: &'a str,
    rect: Option<Rect>,
    /// Attributes of `<a:bodyPr>`.
    body: &'a str,
    /// Shrink text on overflow.
    autofit: bool,
    /// Contents of `<a:lstStyle>`.
    list: String,
    /// The prompt text shown in an empty placeholder.
    prompt: &'a str,
}

impl Placeholder<'_> {
    fn xml(&self, out: &mut String) {
        let _ = write!(
            out,
            "<p:sp><p:nvSpPr><p:cNvPr id=\"{}\" name=\"{}\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr>\
<p:nvPr><p:ph {}/></p:nvPr></p:nvSpPr><p:spPr>{}</p:spPr><p:txBody><a:bodyPr {}>{}</a:bodyPr><a:lstStyle>{}</a:lstStyle>",
            self.id,
            self.name,
            self.ph,
            self.rect.map(|r| r.xfrm("a:xfrm")).unwrap_or_default(),
            self.body,
            if self.autofit { "<a:normAutofit/>" } else { "" },
            self.list,
        );
        if self.ph.contains("sldNum") {
            out.push_str(
                "<a:p><a:fld id=\"{5C2A4B1E-7D3F-4C2B-9A61-3E0B8F1D2C47}\" type=\"slidenum\">\
<a:rPr lang=\"en-US\"/><a:t>‹#›</a:t></a:fld><a:endParaRPr lang=\"en-US\"/></a:p>",
            );
        } else {
            let _ = write!(
                out,
                "<a:p><a:r><a:rPr lang=\"en-US\"/><a:t>{}</a:t></a:r><a:endParaRPr lang=\"en-US\"/></a:p>",
                self.prompt
            );
        }
        out.push_str("</p:txBody></p:sp>");
    }
}

/// A filled rectangle without outline (accent lines and bars).
pub(crate) fn bar(out: &mut String, id: u32, name: &str, rect: Rect, color: &str) {
    let _ = write!(
        out,
        "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{name}\"/><p:cNvSpPr/><p:nvPr userDrawn=\"1\"/></p:nvSpPr>\
<p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill>\
<a:ln><a:noFill/></a:ln></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:endParaRPr lang=\"en-US\"/></a:p></p:txBody></p:sp>",
        rect.xfrm("a:xfrm")
    );
}

const TREE_START: &str = "<p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>\
<p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>";

/// The opening of a shape tree, for slides too.
pub(crate) fn tree_start() -> &'static str {
    TREE_START
}

/// A solid background in `RRGGBB`.
pub(crate) fn background(color: &str) -> String {
    format!(
        "<p:bg><p:bgPr><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill><a:effectLst/></p:bgPr></p:bg>"
    )
}

/// A one-level list style: size (hundredths of a point), colour, bold, and
/// no bullet.
fn plain_level(size: u32, color: &str, bold: bool) -> String {
    format!(
        "<a:lvl1pPr marL=\"0\" indent=\"0\"><a:spcBef><a:spcPts val=\"0\"/></a:spcBef><a:buNone/>\
<a:defRPr sz=\"{size}\"{}><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill></a:defRPr></a:lvl1pPr>",
        if bold { " b=\"1\"" } else { " b=\"0\"" }
    )
}

const CLR_MAP: &str = "<p:clrMap bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\" \
accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\" folHlink=\"folHlink\"/>";

fn body_level(out: &mut String, level: usize) {
    // Sizes step down with depth; the first level gets room above it.
    let (size, before, bullet) = match level {
        1 => (2400, 1200, "•"),
        2 => (2000, 500, "–"),
        3 => (1800, 400, "•"),
        _ => (1600, 300, "–"),
    };
    let indent = 285_750;
    let mar = indent + (level as i64 - 1) * 400_050;
    let _ = write!(
        out,
        "<a:lvl{level}pPr marL=\"{mar}\" indent=\"-{indent}\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\">\
<a:lnSpc><a:spcPct val=\"105000\"/></a:lnSpc><a:spcBef><a:spcPts val=\"{before}\"/></a:spcBef>\
<a:buClr><a:schemeClr val=\"accent2\"/></a:buClr><a:buFont typeface=\"Arial\" panose=\"020B0604020202020204\"/><a:buChar char=\"{bullet}\"/>\
<a:defRPr sz=\"{size}\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>\
<a:latin typeface=\"+mn-lt\"/><a:ea typeface=\"+mn-ea\"/><a:cs typeface=\"+mn-cs\"/></a:defRPr></a:lvl{level}pPr>"
    );
}

/// The slide master: title, body and slide number placeholders, the accent
/// line, and the text styles every slide inherits.
pub(crate) fn slide_master() -> String {
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        "{DECL}<p:sldMaster {NS}><p:cSld><p:bg><p:bgRef idx=\"1001\"><a:schemeClr val=\"bg1\"/></p:bgRef></p:bg>{TREE_START}"
    );
    Placeholder {
        id: 2,
        name: "Title Placeholder 1",
        ph: "type=\"title\"",
        rect: Some(g::TITLE),
        body: "vert=\"horz\" lIns=\"0\" tIns=\"0\" rIns=\"0\" bIns=\"45720\" rtlCol=\"0\" anchor=\"b\"",
        autofit: true,
        list: String::new(),
        prompt: "Click to edit title",
    }
    .xml(&mut out);
    Placeholder {
        id: 3,
        name: "Text Placeholder 2",
        ph: "type=\"body\" idx=\"1\"",
        rect: Some(g::BODY),
        body: "vert=\"horz\" lIns=\"0\" tIns=\"0\" rIns=\"0\" bIns=\"0\" rtlCol=\"0\"",
        autofit: true,
        list: String::new(),
        prompt: "Click to edit text",
    }
    .xml(&mut out);
    Placeholder {
        id: 4,
        name: "Slide Number Placeholder 3",
        ph: "type=\"sldNum\" sz=\"quarter\" idx=\"12\"",
        rect: Some(g::SLIDE_NUMBER),
        body: "vert=\"horz\" lIns=\"0\" tIns=\"0\" rIns=\"0\" bIns=\"0\" rtlCol=\"0\" anchor=\"ctr\"",
        autofit: false,
        list: format!(
            "<a:lvl1pPr algn=\"r\"><a:defRPr sz=\"1100\"><a:solidFill><a:srgbClr val=\"{MUTED}\"/></a:solidFill>\
<a:latin typeface=\"+mn-lt\"/><a:ea typeface=\"+mn-ea\"/><a:cs typeface=\"+mn-cs\"/></a:defRPr></a:lvl1pPr>"
        ),
        prompt: "",
    }
    .xml(&mut out);
    out.push_str("<p:sp><p:nvSpPr><p:cNvPr id=\"5\" name=\"Accent Line\"/><p:cNvSpPr/><p:nvPr userDrawn=\"1\"/></p:nvSpPr>");
    let _ = write!(
        out,
        "<p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:solidFill><a:schemeClr val=\"accent2\"/></a:solidFill>\
<a:ln><a:noFill/></a:ln></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:endParaRPr lang=\"en-US\"/></a:p></p:txBody></p:sp>",
        g::ACCENT_LINE.xfrm("a:xfrm")
    );
    out.push_str("</p:spTree></p:cSld>");
    out.push_str(CLR_MAP);
    out.push_str("<p:sldLayoutIdLst>");
    for (i, kind) in LayoutKind::ALL.iter().enumerate() {
        let _ = write!(
            out,
            "<p:sldLayoutId id=\"{}\" r:id=\"rId{}\"/>",
            2_147_483_649_u64 + i as u64,
            kind.number()
        );
    }
    out.push_str("</p:sldLayoutIdLst><p:txStyles><p:titleStyle>");
    out.push_str(
        "<a:lvl1pPr algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\">\
<a:lnSpc><a:spcPct val=\"90000\"/></a:lnSpc><a:spcBef><a:spcPct val=\"0\"/></a:spcBef><a:buNone/>\
<a:defRPr sz=\"3200\" b=\"1\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx2\"/></a:solidFill>\
<a:latin typeface=\"+mj-lt\"/><a:ea typeface=\"+mj-ea\"/><a:cs typeface=\"+mj-cs\"/></a:defRPr></a:lvl1pPr>",
    );
    out.push_str("</p:titleStyle><p:bodyStyle>");
    for level in 1..=9 {
        body_level(&mut out, level);
    }
    out.push_str("</p:bodyStyle><p:otherStyle><a:defPPr><a:defRPr lang=\"en-US\"/></a:defPPr>");
    out.push_str(
        "<a:lvl1pPr marL=\"0\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\">\
<a:defRPr sz=\"1800\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>\
<a:latin typeface=\"+mn-lt\"/><a:ea typeface=\"+mn-ea\"/><a:cs typeface=\"+mn-cs\"/></a:defRPr></a:lvl1pPr>",
    );
    out.push_str("</p:otherStyle></p:txStyles></p:sldMaster>");
    out
}

/// One slide layout.
pub(crate) fn slide_layout(kind: LayoutKind, style: &Style) -> String {
    let (ty, name, master_shapes) = match kind {
        LayoutKind::Title => ("title", "Title Slide", false),
        LayoutKind::Content => ("obj", "Title and Content", true),
        LayoutKind::Section => ("secHead", "Section Header", false),
        LayoutKind::TwoContent => ("twoObj", "Two Content", true),
        LayoutKind::Comparison => ("twoTxTwoObj", "Comparison", true),
        LayoutKind::TitleOnly => ("titleOnly", "Title Only", true),
    };
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "{DECL}<p:sldLayout {NS} type=\"{ty}\" preserve=\"1\"{}><p:cSld name=\"{name}\">",
        if master_shapes {
            ""
        } else {
            " showMasterSp=\"0\""
        }
    );
    match kind {
        LayoutKind::Title => out.push_str(&background(&style.primary)),
        LayoutKind::Section => out.push_str(&background(&section_background(style))),
        LayoutKind::Content
        | LayoutKind::TwoContent
        | LayoutKind::Comparison
        | LayoutKind::TitleOnly => {}
    }
    out.push_str(TREE_START);
    let title = |rect: Option<Rect>, list: String| Placeholder {
        id: 2,
        name: "Title 1",
        ph: "type=\"title\"",
        rect,
        body: "",
        autofit: false,
        list,
        prompt: "Click to edit title",
    };
    let slide_number = Placeholder {
        id: 9,
        name: "Slide Number Placeholder 8",
        ph: "type=\"sldNum\" sz=\"quarter\" idx=\"12\"",
        rect: None,
        body: "",
        autofit: false,
        list: String::new(),
        prompt: "",
    };
    let content = |id, name, ph, rect| Placeholder {
        id,
        name,
        ph,
        rect: Some(rect),
        body: "",
        autofit: false,
        list: String::new(),
        prompt: "Click to add text",
    };
    let heading = |id, name, ph, rect| Placeholder {
        id,
        name,
        ph,
        rect: Some(rect),
        body: "anchor=\"b\"",
        autofit: false,
        list: plain_level(2000, &style.primary, true),
        prompt: "Heading",
    };
    match kind {
        LayoutKind::Title => {
            let on_primary = blend(&style.primary, "FFFFFF", 0.8);
            Placeholder {
                ph: "type=\"ctrTitle\"",
                body: "anchor=\"b\"",
                autofit: false,
                ..title(Some(g::COVER_TITLE), plain_level(4400, "FFFFFF", true))
            }
            .xml(&mut out);
            Placeholder {
                id: 3,
                name: "Subtitle 2",
                ph: "type=\"subTitle\" idx=\"1\"",
                rect: Some(g::COVER_SUBTITLE),
                body: "",
                autofit: false,
                list: plain_level(2200, &on_primary, false),
                prompt: "Click to add subtitle",
            }
            .xml(&mut out);
            bar(&mut out, 4, "Accent Bar", g::COVER_BAR, &style.accent);
            bar(&mut out, 5, "Accent Band", g::COVER_BAND, &style.accent);
        }
        LayoutKind::Section => {
            title(
                Some(g::SECTION_TITLE),
                plain_level(4000, &style.primary, true),
            )
            .xml(&mut out);
            Placeholder {
                id: 3,
                name: "Text Placeholder 2",
                ph: "type=\"body\" idx=\"1\"",
                rect: Some(g::SECTION_SUBTITLE),
                body: "",
                autofit: false,
                list: plain_level(2000, MUTED, false),
                prompt: "Click to add text",
            }
            .xml(&mut out);
            bar(&mut out, 4, "Accent Bar", g::SECTION_BAR, &style.accent);
            slide_number.xml(&mut out);
        }
        LayoutKind::Content => {
            title(None, String::new()).xml(&mut out);
            content(3, "Content Placeholder 2", "idx=\"1\"", g::BODY).xml(&mut out);
            slide_number.xml(&mut out);
        }
        LayoutKind::TwoContent => {
            title(None, String::new()).xml(&mut out);
            content(
                3,
                "Content Placeholder 2",
                "sz=\"half\" idx=\"1\"",
                g::LEFT_COLUMN,
            )
            .xml(&mut out);
            content(
                4,
                "Content Placeholder 3",
                "sz=\"half\" idx=\"2\"",
                g::RIGHT_COLUMN,
            )
            .xml(&mut out);
            slide_number.xml(&mut out);
        }
        LayoutKind::Comparison => {
            title(None, String::new()).xml(&mut out);
            heading(
                3,
                "Text Placeholder 2",
                "type=\"body\" idx=\"1\"",
                g::LEFT_HEADING,
            )
            .xml(&mut out);
            content(
                4,
                "Content Placeholder 3",
                "sz=\"half\" idx=\"2\"",
                g::LEFT_UNDER_HEADING,
            )
            .xml(&mut out);
            heading(
                5,
                "Text Placeholder 4",
                "type=\"body\" sz=\"quarter\" idx=\"3\"",
                g::RIGHT_HEADING,
            )
            .xml(&mut out);
            content(
                6,
                "Content Placeholder 5",
                "sz=\"quarter\" idx=\"4\"",
                g::RIGHT_UNDER_HEADING,
            )
            .xml(&mut out);
            for (id, heading) in [(7, g::LEFT_HEADING), (8, g::RIGHT_HEADING)] {
                let rule = Rect {
                    y: g::HEADING_RULE_Y,
                    h: 12_700,
                    ..heading
                };
                bar(&mut out, id, "Heading Rule", rule, RULE);
            }
            slide_number.xml(&mut out);
        }
        LayoutKind::TitleOnly => {
            title(None, String::new()).xml(&mut out);
            slide_number.xml(&mut out);
        }
    }
    out.push_str(
        "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>",
    );
    out
}

/// The faint tint of the primary colour behind section slides.
pub(crate) fn section_background(style: &Style) -> String {
    blend(&style.primary, &style.background, 0.92)
}

/// The notes master: slide image above, notes text below, on a portrait
/// page.
pub(crate) fn notes_master() -> String {
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "{DECL}<p:notesMaster {NS}><p:cSld><p:bg><p:bgRef idx=\"1001\"><a:schemeClr val=\"bg1\"/></p:bgRef></p:bg>{TREE_START}"
    );
    let _ = write!(
        out,
        "<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr><a:spLocks noGrp=\"1\" noRot=\"1\" noChangeAspect=\"1\"/></p:cNvSpPr>\
<p:nvPr><p:ph type=\"sldImg\" idx=\"2\"/></p:nvPr></p:nvSpPr><p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:noFill/>\
<a:ln w=\"12700\"><a:solidFill><a:prstClr val=\"black\"/></a:solidFill></a:ln></p:spPr></p:sp>",
        Rect {
            x: 381_000,
            y: 685_800,
            w: 6_096_000,
            h: 3_429_000
        }
        .xfrm("a:xfrm")
    );
    Placeholder {
        id: 3,
        name: "Notes Placeholder 2",
        ph: "type=\"body\" sz=\"quarter\" idx=\"3\"",
        rect: Some(Rect { x: 685_800, y: 4_400_550, w: 5_486_400, h: 3_600_450 }),
        body: "vert=\"horz\" lIns=\"91440\" tIns=\"45720\" rIns=\"91440\" bIns=\"45720\" rtlCol=\"0\"",
        autofit: false,
        list: String::new(),
        prompt: "Click to edit notes",
    }
    .xml(&mut out);
    out.push_str("</p:spTree></p:cSld>");
    out.push_str(CLR_MAP);
    out.push_str("<p:notesStyle>");
    for level in 1..=5 {
        let _ = write!(
            out,
            "<a:lvl{level}pPr marL=\"{}\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\">\
<a:defRPr sz=\"1200\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>\
<a:latin typeface=\"+mn-lt\"/><a:ea typeface=\"+mn-ea\"/><a:cs typeface=\"+mn-cs\"/></a:defRPr></a:lvl{level}pPr>",
            (level - 1) * 457_200
        );
    }
    out.push_str("</p:notesStyle></p:notesMaster>");
    out
}
