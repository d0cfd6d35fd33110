//! The presentation spec (`CreatePresentation`), as the model writes it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chart::ChartSpec;

/// A slide deck: 16:9 slides in a clean theme, each with an optional
/// speaker note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresentationSpec {
    /// The deck's title, stored in the file's properties (the first slide
    /// shows its own `title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The author, stored in the file's properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Colours and fonts (default: a navy and amber theme in Calibri).
    #[serde(default)]
    pub theme: Theme,
    /// The slides, in order (1 to 500). Start with a `title` slide and use
    /// `section` slides between parts of a long deck.
    pub slides: Vec<Slide>,
}

/// Colours (`#RRGGBB`) and fonts of the deck. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Slide titles, the title slide's background, table header rows
    /// (default `#1F3A5F`, navy). Pick a dark colour: text on it is white.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// Accent lines and bullets (default `#E69F00`, amber).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    /// Background of content slides (default `#FFFFFF`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Body text colour on content slides (default `#1F2937`, near black).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Font of titles (default `Calibri`). Use a font the audience has,
    /// e.g. `Calibri`, `Arial`, `Georgia`, `Segoe UI`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_font: Option<String>,
    /// Font of body text (default `Calibri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_font: Option<String>,
}

/// One slide. `layout` decides which of the other fields it shows;
/// giving a field its layout does not show is an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slide {
    /// The slide's layout (default `bullets`).
    #[serde(default)]
    pub layout: Layout,
    /// The slide's title. Required for every layout but `image` and
    /// `chart`, where it is optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The line under the title (`title` and `section` layouts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Bullet points (`bullets` layout), in order. Each is a string (a
    /// top-level point) or `{"text": "...", "level": 1}` for a sub-point of
    /// the point before it (levels 0 to 4).
    /// Text may use Markdown `**bold**`, `*italic*` and `` `code` ``.
    /// Long lists shrink to fit; keep to about 6 points of one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bullets: Vec<Bullet>,
    /// The left column (`two_column` layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Column>,
    /// The right column (`two_column` layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<Column>,
    /// The image file to show (`image` layout): a PNG or JPEG path, e.g.
    /// `figures/map.png`. It is scaled to fit, keeping its proportions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A caption under the image or chart (`image` and `chart` layouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The table (`table` layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// The chart (`chart` layout), drawn as a picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartSpec>,
    /// Speaker notes (any layout): what the presenter says, shown in
    /// presenter view, not on the slide. Blank lines separate paragraphs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The kinds of slide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// The opening slide: `title` and an optional `subtitle` on the theme's
    /// primary colour.
    Title,
    /// A `title` and `bullets`.
    #[default]
    Bullets,
    /// A `title` and two columns, `left` and `right`, each with an optional
    /// heading: comparisons, before/after, pros/cons.
    TwoColumn,
    /// An `image` filling the slide under an optional `title`, with an
    /// optional `caption`.
    Image,
    /// A `title` and a `table` with a styled header row.
    Table,
    /// A `chart` under an optional `title`, with an optional `caption`.
    Chart,
    /// A section divider: `title` and an optional `subtitle`.
    Section,
}

impl Layout {
    /// The name as written in a spec.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Title => "title",
            Layout::Bullets => "bullets",
            Layout::TwoColumn => "two_column",
            Layout::Image => "image",
            Layout::Table => "table",
            Layout::Chart => "chart",
            Layout::Section => "section",
        }
    }
}

/// A bullet point: a string (a top-level point), or an object giving a
/// sub-point's level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Bullet {
    /// A top-level point, e.g. `"Revenue up **12%**"`.
    Text(String),
    /// A point at a given level, e.g. `{"text": "Europe +20%", "level": 1}`.
    Item(BulletItem),
}

/// A bullet point with its indent level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletItem {
    /// The point's text (Markdown `**bold**`, `*italic*`, `` `code` ``).
    pub text: String,
    /// 0 for a top-level point, 1 for a sub-point of the point before it,
    /// up to 4. Default 0. A level may be at most one deeper than the
    /// bullet before it.
    #[serde(default)]
    pub level: u8,
}

impl Bullet {
    /// The point's text.
    pub fn text(&self) -> &str {
        match self {
            Bullet::Text(text) => text,
            Bullet::Item(item) => &item.text,
        }
    }

    /// Its indent level (0 = top level).
    pub fn level(&self) -> u8 {
        match self {
            Bullet::Text(_) => 0,
            Bullet::Item(item) => item.level,
        }
    }
}

/// One column of a `two_column` slide: bullets, a paragraph of text, or
/// both (text first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// A heading above the column, e.g. `"Before"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// Plain text (no bullet); blank lines separate paragraphs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Bullet points, as in a `bullets` slide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bullets: Vec<Bullet>,
}

/// A table: a header row and body rows of text cells.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The header cells, one per column (1 to 12 columns).
    pub header: Vec<String>,
    /// The body rows (up to 20); each has at most as many cells as the
    /// header (shorter rows are padded with empty cells). Numbers go in as
    /// text, formatted as they should read, e.g. `"1,250"`.
    pub rows: Vec<Vec<String>>,
}
