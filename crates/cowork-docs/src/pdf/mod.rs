//! PDF reports (`CreatePdf`): a [`ReportSpec`]'s Markdown typeset with an
//! embedded typst, in-process, with fonts compiled into the binary so the
//! same spec gives the same PDF on every machine.
//!
//! Body text is Libertinus Serif, code DejaVu Sans Mono (both embedded in
//! the PDF). There is no CJK or colour-emoji font: such characters are
//! left out of the PDF rather than drawn from whatever the machine has.
//!
//! ```no_run
//! # fn main() -> Result<(), cowork_docs::DocsError> {
//! let spec: cowork_docs::report::ReportSpec = cowork_docs::spec::parse_str(
//!     r##"{"markdown": "# Summary\n\nRevenue grew **12%**.", "title": "Q3"}"##,
//! )?;
//! let pdf = cowork_docs::pdf::write(&spec, &cowork_docs::NoAssets)?;
//! assert!(pdf.starts_with(b"%PDF"));
//! # Ok(())
//! # }
//! ```

mod markup;

use std::sync::OnceLock;

use typst::foundations::{Array, Bytes, Dict, IntoValue, Smart, Value};
use typst::text::Font;
use typst::visualize::{ImageFormat, RasterImage, SvgImage, VectorFormat};
use typst_as_lib::TypstEngine;

use crate::assets::Assets;
use crate::error::DocsError;
use crate::markdown::Markdown;
use crate::report::{PageSize, ReportSpec};

const PREAMBLE: &str = include_str!("preamble.typ");

/// Typesets `spec` as a PDF: optional title page and table of contents,
/// headers, "Page N of M" footers, and the Markdown body with its tables,
/// code, images and charts. Images are loaded through `assets`.
pub fn write(spec: &ReportSpec, assets: &dyn Assets) -> Result<Vec<u8>, DocsError> {
    if spec.title_page && spec.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(DocsError::invalid(
            "title",
            "`title_page` is true but there is no title; give a `title` or set `title_page` to false",
        ));
    }
    let markdown = Markdown::parse(&spec.markdown);
    let mut images = SpecImages { spec, assets };
    let body = markup::body(&markdown, &mut images)?;
    let source = format!("{PREAMBLE}\n{}\n", body.source);
    let inputs = inputs(spec, body.images);
    compile(source, inputs)
}

/// The fonts every report may use, parsed once per process on first use.
fn fonts() -> &'static [Font] {
    static FONTS: OnceLock<Vec<Font>> = OnceLock::new();
    FONTS.get_or_init(|| {
        // Roboto is the charts' font: with it, embedded chart SVGs keep
        // their lettering as vector text.
        typst_assets::fonts()
            .chain([charts_rs::DEFAULT_FONT_DATA])
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect()
    })
}

fn compile(source: String, inputs: Dict) -> Result<Vec<u8>, DocsError> {
    let engine = TypstEngine::builder()
        .main_file(source)
        .fonts(fonts().iter().cloned())
        .build();
    let document = engine
        .compile_with_input(inputs)
        .output
        .map_err(|e| DocsError::render("PDF", e))?;
    let options = typst_pdf::PdfOptions {
        creator: Smart::Custom(Some("cowork".to_owned())),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|diagnostics| {
        let message = diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        DocsError::render("PDF", message)
    })
}

/// `sys.inputs` for the preamble: the spec's metadata as plain strings
/// (so typst never parses them) and the body's images as bytes.
fn inputs(spec: &ReportSpec, images: Vec<Vec<u8>>) -> Dict {
    let text = |value: &Option<String>| match value.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text.into_value(),
        Some(_) | None => Value::None,
    };
    let mut meta = Dict::new();
    meta.insert("title".into(), text(&spec.title));
    meta.insert("subtitle".into(), text(&spec.subtitle));
    meta.insert("author".into(), text(&spec.author));
    meta.insert("date".into(), text(&spec.date));
    meta.insert("header".into(), text(&spec.header));
    meta.insert("footer".into(), text(&spec.footer));
    meta.insert("title-page".into(), spec.title_page.into_value());
    meta.insert("toc".into(), spec.toc.into_value());
    let paper = match spec.page_size {
        PageSize::A4 => "a4",
        PageSize::Letter => "us-letter",
    };
    meta.insert("paper".into(), paper.into_value());

    let images: Array = images
        .into_iter()
        .map(|bytes| Bytes::new(bytes).into_value())
        .collect();
    let mut inputs = Dict::new();
    inputs.insert("meta".into(), meta.into_value());
    inputs.insert("images".into(), images.into_value());
    inputs
}

/// Images of a spec: files through [`Assets`], `chart:NAME` from the
/// spec's charts; each checked here so a bad file is named in the error
/// instead of failing deep inside typst.
struct SpecImages<'a> {
    spec: &'a ReportSpec,
    assets: &'a dyn Assets,
}

impl markup::ImageSource for SpecImages<'_> {
    fn image(&mut self, src: &str) -> Result<Vec<u8>, DocsError> {
        if let Some(name) = src.strip_prefix("chart:") {
            let chart = self.spec.charts.get(name).ok_or_else(|| {
                let known = self.spec.charts.keys().cloned().collect::<Vec<_>>();
                DocsError::invalid(
                    "markdown",
                    format!(
                        "`![...](chart:{name})` names no chart; `charts` has {}",
                        if known.is_empty() {
                            "none (add the chart under `charts`)".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
            })?;
            return chart_image(name, chart);
        }
        let bytes = self.assets.load(src)?;
        check_image(src, bytes)
    }
}

fn chart_image(name: &str, chart: &crate::chart::ChartSpec) -> Result<Vec<u8>, DocsError> {
    let svg = crate::chart::render_svg(chart).map_err(|e| match e {
        DocsError::InvalidSpec { path, message } => {
            DocsError::invalid(format!("charts.{name}.{path}"), message)
        }
        other => other,
    })?;
    check_image(&format!("chart:{name}"), svg.into_bytes())
}

/// `bytes` if typst can decode them as an image, else an `Asset` error.
fn check_image(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, DocsError> {
    let refuse = |message: String| DocsError::Asset {
        name: name.to_owned(),
        message,
    };
    let data = Bytes::new(bytes);
    match ImageFormat::detect(&data) {
        Some(ImageFormat::Raster(format)) => {
            RasterImage::plain(data.clone(), format)
                .map_err(|e| refuse(format!("not a readable image: {e}")))?;
        }
        Some(ImageFormat::Vector(VectorFormat::Svg)) => {
            SvgImage::new(data.clone())
                .map_err(|e| refuse(format!("not a readable SVG: {e:?}")))?;
        }
        Some(ImageFormat::Vector(VectorFormat::Pdf)) | None => {
            return Err(refuse(
                "not an image PDF reports can embed; use PNG, JPEG, GIF, WebP or SVG".to_owned(),
            ));
        }
    }
    Ok(data.to_vec())
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
