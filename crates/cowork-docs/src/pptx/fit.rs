//! Estimating whether a list of bullets overflows its box, and by how much
//! to shrink it (`normAutofit`), as PowerPoint would after a first edit.
//!
//! PowerPoint recomputes the scale only when the text is edited, so the
//! file must carry a sensible one; the estimate uses an average glyph width
//! and errs on the side of shrinking.

use super::geometry::Rect;
use super::xml::PT;

/// One paragraph of a text body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    /// 0-based indent level.
    pub level: usize,
    /// Length in characters.
    pub chars: usize,
    /// Has a bullet (and so a hanging indent).
    pub bullet: bool,
}

/// How much to shrink, in PowerPoint's thousandths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shrink {
    /// 100000 = 100 %.
    pub font_scale: u32,
    /// Line spacing reduction, 0 to 20000.
    pub line_reduction: u32,
}

/// The size (points) and space before (points) of a level, as the master's
/// body style sets them.
fn level_metrics(level: usize) -> (f64, f64) {
    match level {
        0 => (24.0, 12.0),
        1 => (20.0, 5.0),
        2 => (18.0, 4.0),
        _ => (16.0, 3.0),
    }
}

/// Height in points of `lines` at `scale` in a box `width` points wide.
fn height(lines: &[Line], width: f64, scale: f64) -> f64 {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (size, before) = level_metrics(line.level);
            let size = size * scale;
            let indent = if line.bullet {
                22.5 + line.level as f64 * 31.5
            } else {
                0.0
            };
            let per_line = ((width - indent).max(size * 4.0) / (size * 0.52))
                .floor()
                .max(1.0);
            let rows = (line.chars.max(1) as f64 / per_line).ceil();
            let space = if i == 0 { 0.0 } else { before * scale };
            rows * size * 1.2 + space
        })
        .sum()
}

/// The shrink that makes `lines` fit `rect`, or `None` when they fit as
/// they are.
pub(crate) fn shrink(lines: &[Line], rect: Rect) -> Option<Shrink> {
    let width = rect.w as f64 / PT as f64;
    let room = rect.h as f64 / PT as f64;
    if height(lines, width, 1.0) <= room {
        return None;
    }
    // Step down as PowerPoint does, to a floor where text stays legible.
    let mut scale = 1.0;
    while scale > 0.4 && height(lines, width, scale) * 0.9 > room {
        scale -= 0.05;
    }
    Some(Shrink {
        font_scale: (scale.max(0.4) * 100.0).round() as u32 * 1000,
        line_reduction: if scale < 0.75 { 20_000 } else { 10_000 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pptx::geometry::BODY;

    fn lines(n: usize, chars: usize) -> Vec<Line> {
        (0..n)
            .map(|i| Line {
                level: i % 2,
                chars,
                bullet: true,
            })
            .collect()
    }

    #[test]
    fn a_short_list_is_left_alone() {
        assert_eq!(shrink(&lines(5, 40), BODY), None);
    }

    #[test]
    fn a_long_list_shrinks_more_the_longer_it_is() {
        let some = shrink(&lines(14, 60), BODY).unwrap();
        let many = shrink(&lines(30, 90), BODY).unwrap();
        assert!(some.font_scale < 100_000, "{some:?}");
        assert!(many.font_scale < some.font_scale, "{many:?} vs {some:?}");
        assert!(many.font_scale >= 40_000);
    }
}
