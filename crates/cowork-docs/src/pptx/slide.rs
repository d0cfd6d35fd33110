//! One slide's XML (and its notes page) from its spec.

use std::fmt::Write as _;

use super::fit;
use super::geometry::{self as g, Rect};
use super::image;
use super::master::{self, LayoutKind, MUTED};
use super::spec::{Bullet, Column, Layout, Slide};
use super::table;
use super::validate::Style;
use super::xml::{self, DECL, NS, RunProps, escape};
use crate::assets::Assets;
use crate::error::DocsError;

/// A picture a slide embeds.
pub(crate) struct Media {
    pub bytes: Vec<u8>,
    /// `png` or `jpeg`.
    pub ext: &'static str,
}

/// A slide ready to be packaged.
pub(crate) struct BuiltSlide {
    pub xml: String,
    pub layout: LayoutKind,
    /// Pictures in the order of their relationship ids (`rId3`, `rId4` ...).
    pub media: Vec<Media>,
}

/// Paragraph properties of text without a bullet, spelled out on the
/// slide so readers need not consult the layout.
const NO_BULLET: &str = "<a:pPr marL=\"0\" indent=\"0\"><a:buNone/></a:pPr>";

/// Pixel width of a chart whose spec gives no size: the chart's fixed-size
/// labels then read at about 12 pt once the picture fills the slide.
const CHART_WIDTH: u32 = 880;

/// The relationship id of the first picture; `rId1` is the layout and
/// `rId2` the notes page.
pub(crate) const FIRST_MEDIA_RID: usize = 3;

struct Builder {
    path: String,
    out: String,
    next_id: u32,
    media: Vec<Media>,
}

/// Builds slide `number` (1-based) from `slide`, found at `path` in the spec.
pub(crate) fn build(
    slide: &Slide,
    number: usize,
    path: String,
    style: &Style,
    assets: &dyn Assets,
) -> Result<BuiltSlide, DocsError> {
    let layout = layout_kind(slide);
    let mut b = Builder {
        path,
        out: String::with_capacity(4096),
        next_id: 2,
        media: Vec::new(),
    };
    let untitled = slide.title.is_none();
    let _ = write!(
        b.out,
        "{DECL}<p:sld {NS}{}><p:cSld>",
        // A picture slide without a title hides the accent line too.
        if untitled { " showMasterSp=\"0\"" } else { "" }
    );
    match layout {
        LayoutKind::Title => b.out.push_str(&master::background(&style.primary)),
        LayoutKind::Section => b
            .out
            .push_str(&master::background(&master::section_background(style))),
        LayoutKind::Content
        | LayoutKind::TwoContent
        | LayoutKind::Comparison
        | LayoutKind::TitleOnly => {}
    }
    b.out.push_str(master::tree_start());
    if let Some(title) = &slide.title {
        let ph = if layout == LayoutKind::Title {
            "type=\"ctrTitle\""
        } else {
            "type=\"title\""
        };
        let mut body = String::new();
        xml::paragraph(&mut body, "", title, RunProps::default());
        b.placeholder("Title", ph, "", &body);
    }
    match slide.layout {
        Layout::Title => {
            if let Some(subtitle) = &slide.subtitle {
                b.plain_placeholder("Subtitle", "type=\"subTitle\" idx=\"1\"", subtitle);
            }
        }
        Layout::Section => {
            if let Some(subtitle) = &slide.subtitle {
                b.plain_placeholder("Text", "type=\"body\" idx=\"1\"", subtitle);
            }
        }
        Layout::Bullets => b.bullets("Content", "idx=\"1\"", g::BODY, None, &slide.bullets),
        Layout::TwoColumn => b.columns(slide.left.as_ref(), slide.right.as_ref(), layout),
        Layout::Image => {
            let name = slide.image.as_deref().unwrap_or_default();
            let bytes = assets.load(name)?;
            let info = image::info(&bytes).ok_or_else(|| {
                DocsError::invalid(
                    format!("{}.image", b.path),
                    format!("`{name}` is not a PNG or JPEG image; convert it to PNG"),
                )
            })?;
            b.picture(bytes, info, name, untitled, slide.caption.as_deref());
        }
        Layout::Chart => {
            if let Some(chart) = &slide.chart {
                let mut chart = chart.clone();
                let area = picture_area(untitled, slide.caption.is_some());
                if chart.width.is_none() && chart.height.is_none() {
                    // Sized to the slide so text stays legible once placed.
                    chart.width = Some(CHART_WIDTH);
                    let height = i64::from(CHART_WIDTH) * area.h / area.w;
                    chart.height = Some(height.clamp(360, 640) as u32);
                }
                let png = crate::chart::render_png(&chart).map_err(|e| match e {
                    DocsError::InvalidSpec { path, message } => {
                        DocsError::invalid(format!("{}.chart.{path}", b.path), message)
                    }
                    other => other,
                })?;
                let info = image::info(&png)
                    .ok_or_else(|| DocsError::render("PNG", "the chart renderer gave no PNG"))?;
                let alt = chart.title.clone().unwrap_or_else(|| "Chart".to_owned());
                b.picture(png, info, &alt, untitled, slide.caption.as_deref());
            }
        }
        Layout::Table => {
            if let Some(spec) = &slide.table {
                let id = b.id();
                table::frame(&mut b.out, id, spec, style);
            }
        }
    }
    if !matches!(layout, LayoutKind::Title) {
        b.slide_number(number);
    }
    b.out
        .push_str("</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>");
    Ok(BuiltSlide {
        xml: b.out,
        layout,
        media: b.media,
    })
}

/// The master layout a slide uses.
pub(crate) fn layout_kind(slide: &Slide) -> LayoutKind {
    match slide.layout {
        Layout::Title => LayoutKind::Title,
        Layout::Bullets => LayoutKind::Content,
        Layout::Section => LayoutKind::Section,
        Layout::TwoColumn => {
            let headed = |c: &Option<Column>| c.as_ref().is_some_and(|c| c.heading.is_some());
            if headed(&slide.left) || headed(&slide.right) {
                LayoutKind::Comparison
            } else {
                LayoutKind::TwoContent
            }
        }
        Layout::Image | Layout::Table | Layout::Chart => LayoutKind::TitleOnly,
    }
}

/// Where a picture goes: under the title (or from the top when there is
/// none), leaving a line for the caption.
fn picture_area(untitled: bool, captioned: bool) -> Rect {
    let area = if untitled { g::UNTITLED_AREA } else { g::BODY };
    if captioned {
        Rect {
            h: area.h - g::CAPTION_H,
            ..area
        }
    } else {
        area
    }
}

impl Builder {
    fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A placeholder that inherits its place from the layout.
    fn placeholder(&mut self, name: &str, ph: &str, body_pr: &str, paragraphs: &str) {
        let id = self.id();
        let _ = write!(
            self.out,
            "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{name} {}\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr>\
<p:nvPr><p:ph {ph}/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr{body_pr}/><a:lstStyle/>{paragraphs}</p:txBody></p:sp>",
            id - 1
        );
    }

    fn plain_placeholder(&mut self, name: &str, ph: &str, text: &str) {
        let mut body = String::new();
        for paragraph in xml::text_paragraphs(text) {
            xml::paragraph(&mut body, NO_BULLET, paragraph, RunProps::default());
        }
        self.placeholder(name, ph, "", &body);
    }

    /// A body placeholder of `text` paragraphs then `bullets`, shrunk to
    /// fit `rect` when it is long.
    fn bullets(
        &mut self,
        name: &str,
        ph: &str,
        rect: Rect,
        text: Option<&str>,
        bullets: &[Bullet],
    ) {
        let mut lines = Vec::new();
        let mut body = String::new();
        for paragraph in text.map(xml::text_paragraphs).into_iter().flatten() {
            xml::paragraph(&mut body, NO_BULLET, paragraph, RunProps::default());
            lines.push(fit::Line {
                level: 0,
                chars: paragraph.chars().count(),
                bullet: false,
            });
        }
        for bullet in bullets {
            let (level, text) = (usize::from(bullet.level()), bullet.text());
            let ppr = if level == 0 {
                String::new()
            } else {
                format!("<a:pPr lvl=\"{level}\"/>")
            };
            xml::paragraph(&mut body, &ppr, text, RunProps::default());
            lines.push(fit::Line {
                level,
                chars: text.chars().count(),
                bullet: true,
            });
        }
        let autofit = match fit::shrink(&lines, rect) {
            Some(s) => format!(
                "<a:normAutofit fontScale=\"{}\" lnSpcReduction=\"{}\"/>",
                s.font_scale, s.line_reduction
            ),
            None => "<a:normAutofit/>".to_owned(),
        };
        let id = self.id();
        let _ = write!(
            self.out,
            "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{name} {}\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr>\
<p:nvPr><p:ph {ph}/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr>{autofit}</a:bodyPr><a:lstStyle/>{body}</p:txBody></p:sp>",
            id - 1
        );
    }

    fn columns(&mut self, left: Option<&Column>, right: Option<&Column>, layout: LayoutKind) {
        let comparison = layout == LayoutKind::Comparison;
        let sides = [
            (
                left,
                "idx=\"1\"",
                "sz=\"half\" idx=\"2\"",
                g::LEFT_COLUMN,
                g::LEFT_UNDER_HEADING,
            ),
            (
                right,
                "type=\"body\" sz=\"quarter\" idx=\"3\"",
                "sz=\"quarter\" idx=\"4\"",
                g::RIGHT_COLUMN,
                g::RIGHT_UNDER_HEADING,
            ),
        ];
        for (i, (column, heading_ph, body_ph, plain_rect, headed_rect)) in
            sides.into_iter().enumerate()
        {
            let Some(column) = column else { continue };
            if comparison {
                let heading_ph = if i == 0 {
                    "type=\"body\" idx=\"1\""
                } else {
                    heading_ph
                };
                let mut body = String::new();
                xml::paragraph(
                    &mut body,
                    NO_BULLET,
                    column.heading.as_deref().unwrap_or(""),
                    RunProps::default(),
                );
                self.placeholder("Heading", heading_ph, " anchor=\"b\"", &body);
                self.bullets(
                    "Content",
                    body_ph,
                    headed_rect,
                    column.text.as_deref(),
                    &column.bullets,
                );
            } else {
                let ph = if i == 0 {
                    "sz=\"half\" idx=\"1\""
                } else {
                    "sz=\"half\" idx=\"2\""
                };
                self.bullets(
                    "Content",
                    ph,
                    plain_rect,
                    column.text.as_deref(),
                    &column.bullets,
                );
            }
        }
    }

    /// A picture fitted into the picture area, with its caption below.
    fn picture(
        &mut self,
        bytes: Vec<u8>,
        info: image::ImageInfo,
        alt: &str,
        untitled: bool,
        caption: Option<&str>,
    ) {
        let area = picture_area(untitled, caption.is_some());
        let place = image::fit(info, area);
        let rid = FIRST_MEDIA_RID + self.media.len();
        self.media.push(Media {
            bytes,
            ext: info.ext,
        });
        let id = self.id();
        let _ = write!(
            self.out,
            "<p:pic><p:nvPicPr><p:cNvPr id=\"{id}\" name=\"Picture {}\" descr=\"{}\"/><p:cNvPicPr><a:picLocks noChangeAspect=\"1\"/></p:cNvPicPr><p:nvPr/></p:nvPicPr>\
<p:blipFill><a:blip r:embed=\"rId{rid}\"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>\
<p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr></p:pic>",
            id - 1,
            escape(alt),
            place.xfrm("a:xfrm"),
        );
        if let Some(caption) = caption {
            let rect = Rect {
                x: g::MARGIN,
                y: place.y + place.h + g::CAPTION_H / 5,
                w: g::CONTENT_W,
                h: g::CAPTION_H * 4 / 5,
            };
            let id = self.id();
            let mut body = String::new();
            let props = RunProps {
                size: Some(1400),
                color: Some(MUTED),
                bold: false,
                italic: true,
            };
            xml::paragraph(&mut body, "<a:pPr algn=\"ctr\"/>", caption, props);
            let _ = write!(
                self.out,
                "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"Caption {}\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/></p:nvSpPr>\
<p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:noFill/></p:spPr>\
<p:txBody><a:bodyPr wrap=\"square\" lIns=\"0\" tIns=\"0\" rIns=\"0\" bIns=\"0\" rtlCol=\"0\" anchor=\"t\"><a:normAutofit/></a:bodyPr><a:lstStyle/>{body}</p:txBody></p:sp>",
                id - 1,
                rect.xfrm("a:xfrm"),
            );
        }
    }

    fn slide_number(&mut self, number: usize) {
        let body = format!(
            "<a:p><a:fld id=\"{{5C2A4B1E-7D3F-4C2B-9A61-3E0B8F1D2C47}}\" type=\"slidenum\"><a:rPr lang=\"en-US\"/><a:t>{number}</a:t></a:fld><a:endParaRPr lang=\"en-US\"/></a:p>"
        );
        self.placeholder(
            "Slide Number",
            "type=\"sldNum\" sz=\"quarter\" idx=\"12\"",
            "",
            &body,
        );
    }
}

/// The notes page of a slide.
pub(crate) fn notes(text: &str) -> String {
    let mut body = String::new();
    for paragraph in xml::text_paragraphs(text) {
        xml::paragraph(&mut body, "", paragraph, RunProps::default());
    }
    if body.is_empty() {
        body.push_str("<a:p><a:endParaRPr lang=\"en-US\"/></a:p>");
    }
    format!(
        "{DECL}<p:notes {NS}><p:cSld>{}\
<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr><a:spLocks noGrp=\"1\" noRot=\"1\" noChangeAspect=\"1\"/></p:cNvSpPr>\
<p:nvPr><p:ph type=\"sldImg\"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp>\
<p:sp><p:nvSpPr><p:cNvPr id=\"3\" name=\"Notes Placeholder 2\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr>\
<p:nvPr><p:ph type=\"body\" idx=\"1\"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>{body}</p:txBody></p:sp>\
</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:notes>",
        master::tree_start()
    )
}
