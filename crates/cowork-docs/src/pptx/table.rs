//! Native PowerPoint tables: a header row in the primary colour, banded
//! body rows, numbers aligned right.

use std::fmt::Write as _;

use super::geometry::{self as g};
use super::master::blend;
use super::spec::Table;
use super::validate::Style;
use super::xml::{self, INCH, PT, RunProps};

/// Light rules between rows.
const RULE: &str = "D1D5DB";

/// Appends the table's graphic frame (shape `id`) to `out`.
pub(crate) fn frame(out: &mut String, id: u32, table: &Table, style: &Style) {
    let columns = table.header.len().max(1);
    let rows = table.rows.len() + 1;
    // Rows share the body's height; fewer rows get roomier ones.
    let row_h = (g::BODY.h / rows as i64).min(INCH * 11 / 20);
    let row_pt = row_h as f64 / PT as f64;
    let size = ((row_pt - 6.0) / 1.3).clamp(10.0, 18.0).round() as u32 * 100;
    let widths = column_widths(table, columns);
    let numeric: Vec<bool> = (0..columns)
        .map(|c| {
            let cells: Vec<&str> = table
                .rows
                .iter()
                .filter_map(|r| r.get(c).map(String::as_str))
                .filter(|s| !s.trim().is_empty())
                .collect();
            !cells.is_empty() && cells.iter().all(|s| is_number(s))
        })
        .collect();
    let band = blend(&style.primary, &style.background, 0.93);
    let _ = write!(
        out,
        "<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id=\"{id}\" name=\"Table {}\"/><p:cNvGraphicFramePr><a:graphicFrameLocks noGrp=\"1\"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>\
{}<a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/table\"><a:tbl><a:tblPr firstRow=\"1\" bandRow=\"1\"/><a:tblGrid>",
        id - 1,
        g::Rect {
            h: row_h * rows as i64,
            ..g::BODY
        }
        .xfrm("p:xfrm"),
    );
    for w in &widths {
        let _ = write!(out, "<a:gridCol w=\"{w}\"/>");
    }
    out.push_str("</a:tblGrid>");
    let empty = Vec::new();
    for r in 0..rows {
        let cells = if r == 0 {
            &table.header
        } else {
            table.rows.get(r - 1).unwrap_or(&empty)
        };
        let _ = write!(out, "<a:tr h=\"{row_h}\">");
        for (c, numeric) in numeric.iter().enumerate() {
            let text = cells.get(c).map_or("", String::as_str);
            let (fill, props) = if r == 0 {
                let props = RunProps {
                    size: Some(size),
                    color: Some("FFFFFF"),
                    bold: true,
                    italic: false,
                };
                (style.primary.as_str(), props)
            } else {
                let fill = if r % 2 == 0 {
                    band.as_str()
                } else {
                    style.background.as_str()
                };
                (
                    fill,
                    RunProps {
                        size: Some(size),
                        color: Some(&style.text),
                        bold: false,
                        italic: false,
                    },
                )
            };
            let align = if *numeric { "r" } else { "l" };
            out.push_str("<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>");
            xml::paragraph(out, &format!("<a:pPr algn=\"{align}\"/>"), text, props);
            let line = |tag: &str, color: Option<&str>| match color {
                Some(color) => format!(
                    "<a:{tag} w=\"9525\" cap=\"flat\" cmpd=\"sng\" algn=\"ctr\"><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill><a:prstDash val=\"solid\"/></a:{tag}>"
                ),
                None => format!("<a:{tag} w=\"0\"><a:noFill/></a:{tag}>"),
            };
            let _ = write!(
                out,
                "</a:txBody><a:tcPr marL=\"91440\" marR=\"91440\" marT=\"36576\" marB=\"36576\" anchor=\"ctr\">{}{}{}{}\
<a:solidFill><a:srgbClr val=\"{fill}\"/></a:solidFill></a:tcPr></a:tc>",
                line("lnL", None),
                line("lnR", None),
                line("lnT", (r > 1).then_some(RULE)),
                line("lnB", (r > 0).then_some(RULE)),
            );
        }
        out.push_str("</a:tr>");
    }
    out.push_str("</a:tbl></a:graphicData></a:graphic></p:graphicFrame>");
}

/// Column widths in EMU, summing to the body's width: wider for longer
/// text, within limits so no column starves.
fn column_widths(table: &Table, columns: usize) -> Vec<i64> {
    let weights: Vec<i64> = (0..columns)
        .map(|c| {
            let longest = std::iter::once(&table.header)
                .chain(&table.rows)
                .filter_map(|row| row.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0);
            longest.clamp(4, 40) as i64 + 3
        })
        .collect();
    let total: i64 = weights.iter().sum::<i64>().max(1);
    let mut widths: Vec<i64> = weights.iter().map(|w| g::CONTENT_W * w / total).collect();
    // Rounding leftovers go to the last column so the table spans exactly.
    let used: i64 = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last += g::CONTENT_W - used;
    }
    widths
}

/// Whether a cell reads as a number (`1,250`, `-3.5%`, `$12k`, `€ 40`).
fn is_number(text: &str) -> bool {
    let t = text.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    digits > 0
        && t.chars().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    ',' | '.'
                        | '%'
                        | '-'
                        | '+'
                        | '$'
                        | '€'
                        | '£'
                        | '¥'
                        | ' '
                        | 'k'
                        | 'K'
                        | 'm'
                        | 'M'
                        | 'x'
                        | '('
                        | ')'
                        | '−'
                )
        })
}
