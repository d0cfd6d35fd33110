//! Image sizes (PNG, JPEG) read from their headers, and fitting them into
//! a box keeping their proportions.

use super::geometry::Rect;

/// An image's format and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageInfo {
    /// `png` or `jpeg`: the media part's extension.
    pub ext: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The format and size of `bytes`, or `None` when it is not a PNG or JPEG
/// we can measure.
pub(crate) fn info(bytes: &[u8]) -> Option<ImageInfo> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let width = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
        let height = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
        return sized("png", width, height);
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return jpeg(bytes);
    }
    None
}

fn sized(ext: &'static str, width: u32, height: u32) -> Option<ImageInfo> {
    (width > 0 && height > 0).then_some(ImageInfo { ext, width, height })
}

/// Walks the JPEG's segments to its start-of-frame marker.
fn jpeg(bytes: &[u8]) -> Option<ImageInfo> {
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes and markers without a length.
            0xFF => at += 1,
            0x01 | 0xD0..=0xD8 => at += 2,
            _ => {
                let length = usize::from(u16::from_be_bytes([
                    *bytes.get(at + 2)?,
                    *bytes.get(at + 3)?,
                ]));
                let is_frame =
                    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                if is_frame {
                    let height = u16::from_be_bytes([*bytes.get(at + 5)?, *bytes.get(at + 6)?]);
                    let width = u16::from_be_bytes([*bytes.get(at + 7)?, *bytes.get(at + 8)?]);
                    return sized("jpeg", u32::from(width), u32::from(height));
                }
                if length < 2 {
                    return None;
                }
                at += 2 + length;
            }
        }
    }
}

/// The largest rectangle with the image's proportions that fits in `area`,
/// centred in it.
pub(crate) fn fit(info: ImageInfo, area: Rect) -> Rect {
    let (iw, ih) = (i128::from(info.width), i128::from(info.height));
    let (aw, ah) = (i128::from(area.w), i128::from(area.h));
    // Compare aspect ratios by cross-multiplying to stay in integers.
    let (w, h) = if iw * ah > ih * aw {
        (aw, aw * ih / iw)
    } else {
        (ah * iw / ih, ah)
    };
    let w = i64::try_from(w).unwrap_or(area.w);
    let h = i64::try_from(h).unwrap_or(area.h);
    Rect {
        x: area.x + (area.w - w) / 2,
        y: area.y + (area.h - h) / 2,
        w,
        h,
    }
}
