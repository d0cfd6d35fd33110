//! Where things go on a 16:9 slide, in EMU, shared by the layouts and the
//! slides so both agree.

use super::xml::INCH;

/// Slide width (13.333 in).
pub(crate) const SLIDE_W: i64 = 12_192_000;
/// Slide height (7.5 in).
pub(crate) const SLIDE_H: i64 = 6_858_000;
/// Left and right margin.
pub(crate) const MARGIN: i64 = INCH * 6 / 10;
/// Width between the margins.
pub(crate) const CONTENT_W: i64 = SLIDE_W - 2 * MARGIN;
/// Gap between the two columns.
pub(crate) const GUTTER: i64 = INCH / 2;
/// Width of one column.
pub(crate) const COLUMN_W: i64 = (CONTENT_W - GUTTER) / 2;

/// A rectangle on the slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

impl Rect {
    /// `<a:xfrm>` for this rectangle (`p:xfrm` for graphic frames).
    pub fn xfrm(&self, tag: &str) -> String {
        format!(
            "<{tag}><a:off x=\"{}\" y=\"{}\"/><a:ext cx=\"{}\" cy=\"{}\"/></{tag}>",
            self.x, self.y, self.w, self.h
        )
    }
}

const fn inches(x10: i64) -> i64 {
    INCH * x10 / 100
}

/// Content slides' title, above the accent line.
pub(crate) const TITLE: Rect = Rect {
    x: MARGIN,
    y: inches(35),
    w: CONTENT_W,
    h: inches(90),
};
/// The short accent line under a content slide's title.
pub(crate) const ACCENT_LINE: Rect = Rect {
    x: MARGIN,
    y: inches(135),
    w: INCH,
    h: inches(6),
};
/// The body under the title.
pub(crate) const BODY: Rect = Rect {
    x: MARGIN,
    y: inches(165),
    w: CONTENT_W,
    h: inches(515),
};
/// Column headings (comparison layout).
pub(crate) const LEFT_HEADING: Rect = Rect {
    x: MARGIN,
    y: inches(165),
    w: COLUMN_W,
    h: inches(55),
};
/// The right column's heading.
pub(crate) const RIGHT_HEADING: Rect = Rect {
    x: MARGIN + COLUMN_W + GUTTER,
    ..LEFT_HEADING
};
/// The thin rule under a column heading.
pub(crate) const HEADING_RULE_Y: i64 = inches(222);
/// Column bodies under headings.
pub(crate) const LEFT_UNDER_HEADING: Rect = Rect {
    x: MARGIN,
    y: inches(240),
    w: COLUMN_W,
    h: inches(440),
};
/// The right column's body under its heading.
pub(crate) const RIGHT_UNDER_HEADING: Rect = Rect {
    x: MARGIN + COLUMN_W + GUTTER,
    ..LEFT_UNDER_HEADING
};
/// Column bodies without headings.
pub(crate) const LEFT_COLUMN: Rect = Rect {
    x: MARGIN,
    y: BODY.y,
    w: COLUMN_W,
    h: BODY.h,
};
/// The right column without heading.
pub(crate) const RIGHT_COLUMN: Rect = Rect {
    x: MARGIN + COLUMN_W + GUTTER,
    ..LEFT_COLUMN
};
/// The slide number, bottom right.
pub(crate) const SLIDE_NUMBER: Rect = Rect {
    x: SLIDE_W - MARGIN - inches(120),
    y: inches(692),
    w: inches(120),
    h: inches(35),
};
/// The title slide's title.
pub(crate) const COVER_TITLE: Rect = Rect {
    x: inches(90),
    y: inches(150),
    w: SLIDE_W - 2 * inches(90),
    h: inches(230),
};
/// The bar between the title slide's title and subtitle.
pub(crate) const COVER_BAR: Rect = Rect {
    x: inches(90),
    y: inches(405),
    w: inches(120),
    h: inches(8),
};
/// The title slide's subtitle.
pub(crate) const COVER_SUBTITLE: Rect = Rect {
    x: inches(90),
    y: inches(440),
    w: SLIDE_W - 2 * inches(90),
    h: inches(130),
};
/// The band of accent colour along the bottom of the title slide.
pub(crate) const COVER_BAND: Rect = Rect {
    x: 0,
    y: SLIDE_H - inches(18),
    w: SLIDE_W,
    h: inches(18),
};
/// The section slide's title.
pub(crate) const SECTION_TITLE: Rect = Rect {
    x: inches(120),
    y: inches(200),
    w: SLIDE_W - 2 * inches(120),
    h: inches(180),
};
/// The bar left of a section slide's title.
pub(crate) const SECTION_BAR: Rect = Rect {
    x: inches(90),
    y: inches(230),
    w: inches(8),
    h: inches(260),
};
/// The section slide's subtitle.
pub(crate) const SECTION_SUBTITLE: Rect = Rect {
    x: inches(120),
    y: inches(395),
    w: SLIDE_W - 2 * inches(120),
    h: inches(110),
};
/// Height of a caption line under an image or chart.
pub(crate) const CAPTION_H: i64 = inches(45);
/// The area for a picture when the slide has no title.
pub(crate) const UNTITLED_AREA: Rect = Rect {
    x: MARGIN,
    y: inches(45),
    w: CONTENT_W,
    h: inches(635),
};
