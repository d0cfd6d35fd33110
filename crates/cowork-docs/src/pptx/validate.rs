//! Checking a presentation spec before writing it, with errors that name
//! the field and say what is expected.

use super::spec::{Bullet, Column, Layout, PresentationSpec, Slide, Theme};
use crate::error::DocsError;

/// Most slides a deck may have.
pub const MAX_SLIDES: usize = 500;
/// Deepest bullet nesting (levels).
pub const MAX_LEVELS: usize = 5;
/// Most table columns.
pub const MAX_COLUMNS: usize = 12;
/// Most table body rows on one slide.
pub const MAX_ROWS: usize = 20;

/// The theme with defaults filled in: colours as `RRGGBB` (no `#`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Style {
    pub primary: String,
    pub accent: String,
    pub background: String,
    pub text: String,
    pub heading_font: String,
    pub body_font: String,
}

/// Checks `spec` and resolves its theme.
pub(crate) fn validate(spec: &PresentationSpec) -> Result<Style, DocsError> {
    let style = resolve_theme(&spec.theme)?;
    if spec.slides.is_empty() {
        return Err(DocsError::invalid(
            "slides",
            "no slides; give at least one, e.g. [{\"layout\": \"title\", \"title\": \"Q3 review\"}]",
        ));
    }
    if spec.slides.len() > MAX_SLIDES {
        return Err(DocsError::invalid(
            "slides",
            format!(
                "{} slides is too many; give at most {MAX_SLIDES} (split the deck)",
                spec.slides.len()
            ),
        ));
    }
    for (i, slide) in spec.slides.iter().enumerate() {
        check_slide(&format!("slides[{i}]"), slide)?;
    }
    Ok(style)
}

fn resolve_theme(theme: &Theme) -> Result<Style, DocsError> {
    let color = |field: &str, value: &Option<String>, default: &str| match value {
        None => Ok(default.to_owned()),
        Some(v) => hex_color(v).ok_or_else(|| {
            DocsError::invalid(
                format!("theme.{field}"),
                format!("`{v}` is not a colour; give `#RRGGBB`, e.g. `#1F3A5F`"),
            )
        }),
    };
    let font = |field: &str, value: &Option<String>| match value {
        None => Ok("Calibri".to_owned()),
        Some(v) if v.trim().is_empty() || v.len() > 64 => Err(DocsError::invalid(
            format!("theme.{field}"),
            "give a font family name, e.g. `Calibri` or `Georgia` (or leave it out)",
        )),
        Some(v) => Ok(v.trim().to_owned()),
    };
    Ok(Style {
        primary: color("primary", &theme.primary, "1F3A5F")?,
        accent: color("accent", &theme.accent, "E69F00")?,
        background: color("background", &theme.background, "FFFFFF")?,
        text: color("text", &theme.text, "1F2937")?,
        heading_font: font("heading_font", &theme.heading_font)?,
        body_font: font("body_font", &theme.body_font)?,
    })
}

/// `#RRGGBB` → `RRGGBB` (upper case).
fn hex_color(value: &str) -> Option<String> {
    let hex = value.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_ascii_uppercase())
}

/// The fields a layout shows besides `layout` and `notes`.
fn allowed(layout: Layout) -> &'static [&'static str] {
    match layout {
        Layout::Title | Layout::Section => &["title", "subtitle"],
        Layout::Bullets => &["title", "bullets"],
        Layout::TwoColumn => &["title", "left", "right"],
        Layout::Image => &["title", "image", "caption"],
        Layout::Table => &["title", "table"],
        Layout::Chart => &["title", "chart", "caption"],
    }
}

fn present(slide: &Slide) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut mark = |set: bool, name| {
        if set {
            fields.push(name);
        }
    };
    mark(slide.title.is_some(), "title");
    mark(slide.subtitle.is_some(), "subtitle");
    mark(!slide.bullets.is_empty(), "bullets");
    mark(slide.left.is_some(), "left");
    mark(slide.right.is_some(), "right");
    mark(slide.image.is_some(), "image");
    mark(slide.caption.is_some(), "caption");
    mark(slide.table.is_some(), "table");
    mark(slide.chart.is_some(), "chart");
    fields
}

/// The layout that shows `field`, for the hint in an error.
fn layout_for(field: &str) -> &'static str {
    match field {
        "subtitle" => "title or section",
        "bullets" => "bullets",
        "left" | "right" => "two_column",
        "image" => "image",
        "caption" => "image or chart",
        "table" => "table",
        _ => "chart",
    }
}

fn check_slide(path: &str, slide: &Slide) -> Result<(), DocsError> {
    let layout = slide.layout;
    let name = layout.name();
    for field in present(slide) {
        if !allowed(layout).contains(&field) {
            return Err(DocsError::invalid(
                format!("{path}.{field}"),
                format!(
                    "a `{name}` slide does not show `{field}`; remove it, or set \
                     \"layout\": \"{}\"",
                    layout_for(field)
                ),
            ));
        }
    }
    let title_optional = matches!(layout, Layout::Image | Layout::Chart);
    match &slide.title {
        Some(title) if title.trim().is_empty() => {
            return Err(DocsError::invalid(
                format!("{path}.title"),
                "the title is empty; give the slide's title (or leave the field out)",
            ));
        }
        None if !title_optional => {
            return Err(DocsError::invalid(
                format!("{path}.title"),
                format!("a `{name}` slide needs a title, e.g. \"title\": \"Key results\""),
            ));
        }
        Some(_) | None => {}
    }
    match layout {
        Layout::Title | Layout::Section => Ok(()),
        Layout::Bullets => {
            if slide.bullets.is_empty() {
                return Err(DocsError::invalid(
                    format!("{path}.bullets"),
                    "a `bullets` slide needs at least one bullet, e.g. [\"Revenue up 12%\"]",
                ));
            }
            check_bullets(&format!("{path}.bullets"), &slide.bullets)
        }
        Layout::TwoColumn => {
            check_column(&format!("{path}.left"), slide.left.as_ref())?;
            check_column(&format!("{path}.right"), slide.right.as_ref())
        }
        Layout::Image => match &slide.image {
            Some(image) if !image.trim().is_empty() => Ok(()),
            Some(_) | None => Err(DocsError::invalid(
                format!("{path}.image"),
                "an `image` slide needs the path of a PNG or JPEG file, e.g. \"figures/map.png\"",
            )),
        },
        Layout::Table => check_table(path, slide),
        Layout::Chart => match &slide.chart {
            Some(chart) => crate::chart::validate(chart).map_err(|e| match e {
                DocsError::InvalidSpec {
                    path: inner,
                    message,
                } => DocsError::invalid(format!("{path}.chart.{inner}"), message),
                other => other,
            }),
            None => Err(DocsError::invalid(
                format!("{path}.chart"),
                "a `chart` slide needs a chart, e.g. {\"kind\": \"column\", \"categories\": \
                 [\"Q1\", \"Q2\"], \"series\": [{\"name\": \"Sales\", \"values\": [10, 12]}]}",
            )),
        },
    }
}

fn check_bullets(path: &str, bullets: &[Bullet]) -> Result<(), DocsError> {
    let mut previous: Option<u8> = None;
    for (i, bullet) in bullets.iter().enumerate() {
        let here = format!("{path}[{i}]");
        if bullet.text().trim().is_empty() {
            return Err(DocsError::invalid(
                here,
                "the bullet's text is empty; give its text or remove it",
            ));
        }
        let level = bullet.level();
        if usize::from(level) >= MAX_LEVELS {
            return Err(DocsError::invalid(
                format!("{here}.level"),
                format!(
                    "level {level} is too deep; give 0 to {} (flatten the list)",
                    MAX_LEVELS - 1
                ),
            ));
        }
        let deepest = previous.map_or(0, |p| p + 1);
        if level > deepest {
            return Err(DocsError::invalid(
                format!("{here}.level"),
                match previous {
                    None => format!("the first bullet must be at level 0, not {level}"),
                    Some(p) => format!(
                        "level {level} follows a level-{p} bullet; a sub-point goes one level deeper at most (give {deepest})"
                    ),
                },
            ));
        }
        previous = Some(level);
    }
    Ok(())
}

fn check_column(path: &str, column: Option<&Column>) -> Result<(), DocsError> {
    let Some(column) = column else {
        return Err(DocsError::invalid(
            path,
            "a `two_column` slide needs both `left` and `right`, e.g. {\"heading\": \"Before\", \
             \"bullets\": [\"Manual\"]}",
        ));
    };
    let has_text = column.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    if !has_text && column.bullets.is_empty() {
        return Err(DocsError::invalid(
            path,
            "the column is empty; give it `bullets` or `text`",
        ));
    }
    check_bullets(&format!("{path}.bullets"), &column.bullets)
}

fn check_table(path: &str, slide: &Slide) -> Result<(), DocsError> {
    let Some(table) = &slide.table else {
        return Err(DocsError::invalid(
            format!("{path}.table"),
            "a `table` slide needs a table, e.g. {\"header\": [\"Region\", \"Sales\"], \
             \"rows\": [[\"North\", \"1,250\"]]}",
        ));
    };
    let columns = table.header.len();
    if !(1..=MAX_COLUMNS).contains(&columns) {
        return Err(DocsError::invalid(
            format!("{path}.table.header"),
            format!("give 1 to {MAX_COLUMNS} header cells, one per column (got {columns})"),
        ));
    }
    if table.rows.len() > MAX_ROWS {
        return Err(DocsError::invalid(
            format!("{path}.table.rows"),
            format!(
                "{} rows do not fit on a slide; give at most {MAX_ROWS} (split the table over \
                 several slides, or summarise it)",
                table.rows.len()
            ),
        ));
    }
    for (r, row) in table.rows.iter().enumerate() {
        if row.len() > columns {
            return Err(DocsError::invalid(
                format!("{path}.table.rows[{r}]"),
                format!(
                    "the row has {} cells but the header has {columns}; give at most one cell \
                     per header column",
                    row.len()
                ),
            ));
        }
    }
    Ok(())
}
