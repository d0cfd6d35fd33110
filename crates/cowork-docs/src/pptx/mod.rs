//! Presentations (`CreatePresentation`): 16:9 PPTX decks from a JSON spec
//! or from Markdown notes, written natively (no template file, no Office).
//!
//! Seven layouts — title, bullets (nested), two columns, image, table,
//! chart, section — on a slide master whose titles and bodies are real
//! placeholders, so the deck edits in PowerPoint, Keynote or LibreOffice
//! as a hand-made one would. Every slide may carry speaker notes. The
//! theme's colours and fonts can be overridden.
//!
//! ```
//! use cowork_docs::pptx::{self, Bullet, Layout, PresentationSpec, Slide};
//! let spec = PresentationSpec {
//!     title: Some("Q3 review".into()),
//!     author: None,
//!     theme: Default::default(),
//!     slides: vec![
//!         Slide { layout: Layout::Title, title: Some("Q3 review".into()), ..Slide::default() },
//!         Slide {
//!             title: Some("Highlights".into()),
//!             bullets: vec![Bullet::Text("Revenue up **12%**".into())],
//!             notes: Some("Mention the new region.".into()),
//!             ..Slide::default()
//!         },
//!     ],
//! };
//! let bytes = pptx::write(&spec, &cowork_docs::NoAssets)?;
//! assert!(bytes.starts_with(b"PK"));
//! # Ok::<(), cowork_docs::DocsError>(())
//! ```

mod fit;
mod from_markdown;
mod geometry;
mod image;
mod master;
mod package;
mod slide;
mod spec;
mod table;
mod validate;
mod xml;

pub use from_markdown::spec_from_markdown;
pub use spec::{Bullet, BulletItem, Column, Layout, PresentationSpec, Slide, Table, Theme};
pub use validate::{MAX_COLUMNS, MAX_LEVELS, MAX_ROWS, MAX_SLIDES};

use crate::assets::Assets;
use crate::error::DocsError;

/// Writes the deck as PPTX bytes, after checking the spec (errors name
/// the field, e.g. `slides[4].bullets[2]`). Images are loaded through
/// `assets`; charts are drawn as pictures.
pub fn write(spec: &PresentationSpec, assets: &dyn Assets) -> Result<Vec<u8>, DocsError> {
    let style = validate::validate(spec)?;
    let mut parts = Vec::with_capacity(spec.slides.len());
    for (i, slide) in spec.slides.iter().enumerate() {
        let built = slide::build(slide, i + 1, format!("slides[{i}]"), &style, assets)?;
        let notes = slide
            .notes
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(slide::notes);
        parts.push(package::Part {
            slide: built,
            notes,
        });
    }
    let props = package::Properties {
        title: spec.title.as_deref(),
        author: spec.author.as_deref(),
    };
    package::write(parts, &style, &props)
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
