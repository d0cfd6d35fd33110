//! The spec shared by `CreateDocument` (DOCX) and `CreatePdf`: Markdown
//! plus the trimmings of a finished report, so one spec gives the same
//! document in either format.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chart::ChartSpec;

/// A report or memo written in Markdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// The body in Markdown: `#`–`###` headings, paragraphs with
    /// **bold**, *italic*, `code` and [links](https://example.org), nested
    /// `-`/`1.` lists, pipe tables, `>` quotes, fenced code, images
    /// `![caption](path/to/image.png)` or charts `![caption](chart:NAME)`
    /// (NAME a key of `charts`), and page breaks (a line `\newpage`).
    pub markdown: String,
    /// The document's title: on the title page, in the file's properties,
    /// and in the default header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A subtitle under the title on the title page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// The author, on the title page and in the file's properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A date line for the title page, as it should be printed
    /// (e.g. "24 November 2026").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Start with a title page (needs `title`). Default false.
    #[serde(default)]
    pub title_page: bool,
    /// Insert a table of contents after the title page. Default false.
    #[serde(default)]
    pub toc: bool,
    /// Text at the top of every page but the title page (default: the
    /// title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Text at the bottom of every page; the page number ("Page 3 of 12")
    /// is always added at the right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// Paper size. Default `a4`.
    #[serde(default)]
    pub page_size: PageSize,
    /// Charts the Markdown embeds as `![caption](chart:NAME)`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub charts: BTreeMap<String, ChartSpec>,
}

impl ReportSpec {
    /// A report of `markdown` alone: no title, title page, contents,
    /// header, footer or charts; A4.
    pub fn from_markdown(markdown: impl Into<String>) -> Self {
        Self {
            markdown: markdown.into(),
            title: None,
            subtitle: None,
            author: None,
            date: None,
            title_page: false,
            toc: false,
            header: None,
            footer: None,
            page_size: PageSize::default(),
            charts: BTreeMap::new(),
        }
    }
}

/// Paper sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PageSize {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}
