//! Pictures: their size read from the PNG or JPEG header (no image crate),
//! and the DrawingML that places them inline.

use std::fmt::Write as _;

use super::xml::escape_into;

/// EMUs per inch (DrawingML's unit).
pub(super) const EMU_PER_INCH: u64 = 914_400;
/// EMUs per twip (1/1440 inch).
pub(super) const EMU_PER_TWIP: u64 = 635;

/// A picture's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Png,
    Jpeg,
}

impl Kind {
    /// The part name's extension, as `[Content_Types].xml` declares it.
    pub(super) fn extension(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Jpeg => "jpeg",
        }
    }
}

/// What the writer needs to know about a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Info {
    pub kind: Kind,
    pub width_px: u32,
    pub height_px: u32,
    /// Dots per inch the file declares (96 when it declares none).
    pub dpi_x: u32,
    pub dpi_y: u32,
}

impl Info {
    /// The natural size in EMUs, shrunk (never enlarged) to fit within
    /// `max_cx` × `max_cy`, keeping the aspect ratio.
    pub(super) fn fit(&self, max_cx: u64, max_cy: u64) -> (u64, u64) {
        let cx = u64::from(self.width_px) * EMU_PER_INCH / u64::from(self.dpi_x.max(1));
        let cy = u64::from(self.height_px) * EMU_PER_INCH / u64::from(self.dpi_y.max(1));
        let (cx, cy) = (cx.max(1), cy.max(1));
        // Compare cx/max_cx with cy/max_cy without floating point.
        if cx <= max_cx && cy <= max_cy {
            (cx, cy)
        } else if u128::from(cx) * u128::from(max_cy) >= u128::from(cy) * u128::from(max_cx) {
            (max_cx, (cy * max_cx / cx).max(1))
        } else {
            ((cx * max_cy / cy).max(1), max_cy)
        }
    }
}

const DEFAULT_DPI: u32 = 96;

/// Reads the size of a PNG or JPEG; `None` for anything else or a header
/// too broken to read.
pub(super) fn probe(bytes: &[u8]) -> Option<Info> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        probe_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        probe_jpeg(bytes)
    } else {
        None
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn probe_png(bytes: &[u8]) -> Option<Info> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let mut info = Info {
        kind: Kind::Png,
        width_px: be32(bytes, 16)?,
        height_px: be32(bytes, 20)?,
        dpi_x: DEFAULT_DPI,
        dpi_y: DEFAULT_DPI,
    };
    if info.width_px == 0 || info.height_px == 0 {
        return None;
    }
    // pHYs, when present, comes before the image data.
    let mut at = 8usize;
    while let (Some(len), Some(kind)) = (be32(bytes, at), bytes.get(at + 4..at + 8)) {
        match kind {
            b"pHYs" => {
                let (x, y, unit) = (
                    be32(bytes, at + 8)?,
                    be32(bytes, at + 12)?,
                    bytes.get(at + 16)?,
                );
                if *unit == 1 && x > 0 && y > 0 {
                    info.dpi_x = dpi_from_per_metre(x);
                    info.dpi_y = dpi_from_per_metre(y);
                }
                break;
            }
            b"IDAT" | b"IEND" => break,
            _ => {
                at = at
                    .checked_add(12)?
                    .checked_add(usize::try_from(len).ok()?)?
            }
        }
    }
    Some(info)
}

fn dpi_from_per_metre(per_metre: u32) -> u32 {
    // Rounded: 3780 dots per metre is 96 dpi.
    ((u64::from(per_metre) * 254 + 5000) / 10_000).clamp(1, 10_000) as u32
}

fn probe_jpeg(bytes: &[u8]) -> Option<Info> {
    let (mut dpi_x, mut dpi_y) = (DEFAULT_DPI, DEFAULT_DPI);
    let mut at = 2usize;
    loop {
        // Markers may be padded with extra 0xFF bytes.
        while *bytes.get(at)? == 0xFF && *bytes.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        let len = usize::from(be16(bytes, at + 2)?);
        match marker {
            0xE0 if bytes.get(at + 4..at + 9)? == b"JFIF\0" => {
                let units = *bytes.get(at + 11)?;
                let (x, y) = (
                    u32::from(be16(bytes, at + 12)?),
                    u32::from(be16(bytes, at + 14)?),
                );
                if x > 0 && y > 0 {
                    match units {
                        1 => (dpi_x, dpi_y) = (x, y),
                        2 => (dpi_x, dpi_y) = ((x * 254 + 50) / 100, (y * 254 + 50) / 100),
                        _ => {}
                    }
                }
            }
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let height_px = u32::from(be16(bytes, at + 5)?);
                let width_px = u32::from(be16(bytes, at + 7)?);
                if width_px == 0 || height_px == 0 {
                    return None;
                }
                return Some(Info {
                    kind: Kind::Jpeg,
                    width_px,
                    height_px,
                    dpi_x,
                    dpi_y,
                });
            }
            0xD9 | 0xDA => return None,
            _ => {}
        }
        at = at.checked_add(2)?.checked_add(len)?;
    }
}

/// Appends an inline picture (`<w:drawing>`) of `cx` × `cy` EMUs showing
/// relationship `rel_id`. `id` must be unique in the document.
pub(super) fn drawing(out: &mut String, rel_id: &str, id: u32, descr: &str, cx: u64, cy: u64) {
    let _ = write!(
        out,
        r#"<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="{id}" name="Picture {id}" descr=""#
    );
    escape_into(out, descr);
    let _ = write!(
        out,
        concat!(
            r#""/><wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" noChangeAspect="1"/></wp:cNvGraphicFramePr>"#,
            r#"<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">"#,
            r#"<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="{id}" name="Picture {id}"/><pic:cNvPicPr/></pic:nvPicPr>"#,
            r#"<pic:blipFill><a:blip r:embed="{rel}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>"#,
            r#"<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>"#,
            r#"</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#,
        ),
        id = id,
        rel = rel_id,
        cx = cx,
        cy = cy,
    );
}

#[cfg(test)]
#[path = "image_tests.rs"]
mod tests;
