//! Styling beyond number formats: conditional formats, colours and
//! Excel's table styles.

use rust_xlsxwriter::{
    Color, ConditionalFormat2ColorScale, ConditionalFormat3ColorScale, ConditionalFormatCell,
    ConditionalFormatCellRule, ConditionalFormatDataBar, ConditionalFormatValue, Format, Formula,
    TableStyle, Worksheet,
};

use super::spec::{Comparison, ConditionalRule, Highlight};
use super::writer::xlsx_err;
use crate::error::DocsError;

pub(crate) fn add_conditional(
    ws: &mut Worksheet,
    rule: &ConditionalRule,
    (r1, c1, r2, c2): (u32, u16, u32, u16),
) -> Result<(), DocsError> {
    match rule {
        ConditionalRule::Cell {
            operator,
            value,
            value2,
            style,
        } => {
            let v1 = cf_value(value);
            let v2 = value2.as_ref().map_or_else(|| cf_value(value), cf_value);
            let rule = match operator {
                Comparison::GreaterThan => ConditionalFormatCellRule::GreaterThan(v1),
                Comparison::GreaterOrEqual => ConditionalFormatCellRule::GreaterThanOrEqualTo(v1),
                Comparison::LessThan => ConditionalFormatCellRule::LessThan(v1),
                Comparison::LessOrEqual => ConditionalFormatCellRule::LessThanOrEqualTo(v1),
                Comparison::Equal => ConditionalFormatCellRule::EqualTo(v1),
                Comparison::NotEqual => ConditionalFormatCellRule::NotEqualTo(v1),
                Comparison::Between => ConditionalFormatCellRule::Between(v1, v2),
                Comparison::NotBetween => ConditionalFormatCellRule::NotBetween(v1, v2),
            };
            let format = match style {
                Highlight::Red => Format::new()
                    .set_background_color(Color::RGB(0xFFC7CE))
                    .set_font_color(Color::RGB(0x9C0006)),
                Highlight::Green => Format::new()
                    .set_background_color(Color::RGB(0xC6EFCE))
                    .set_font_color(Color::RGB(0x006100)),
                Highlight::Yellow => Format::new()
                    .set_background_color(Color::RGB(0xFFEB9C))
                    .set_font_color(Color::RGB(0x9C5700)),
                Highlight::Bold => Format::new().set_bold(),
            };
            let cf = ConditionalFormatCell::new()
                .set_rule(rule)
                .set_format(format);
            ws.add_conditional_format(r1, c1, r2, c2, &cf)
                .map_err(xlsx_err)?;
        }
        ConditionalRule::ColorScale {
            min_color,
            mid_color,
            max_color,
            two_colors,
        } => {
            let min = color_or(min_color.as_deref(), 0xF8696B);
            let max = color_or(max_color.as_deref(), 0x63BE7B);
            if *two_colors {
                let cf = ConditionalFormat2ColorScale::new()
                    .set_minimum_color(min)
                    .set_maximum_color(max);
                ws.add_conditional_format(r1, c1, r2, c2, &cf)
                    .map_err(xlsx_err)?;
            } else {
                let cf = ConditionalFormat3ColorScale::new()
                    .set_minimum_color(min)
                    .set_midpoint_color(color_or(mid_color.as_deref(), 0xFFEB84))
                    .set_maximum_color(max);
                ws.add_conditional_format(r1, c1, r2, c2, &cf)
                    .map_err(xlsx_err)?;
            }
        }
        ConditionalRule::DataBar { color } => {
            let cf = ConditionalFormatDataBar::new()
                .set_fill_color(color_or(color.as_deref(), 0x638EC6));
            ws.add_conditional_format(r1, c1, r2, c2, &cf)
                .map_err(xlsx_err)?;
        }
    }
    Ok(())
}

fn cf_value(value: &serde_json::Value) -> ConditionalFormatValue {
    match value {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or_default().into(),
        serde_json::Value::Bool(b) => (*b).into(),
        serde_json::Value::String(s) if s.starts_with('=') => {
            Formula::new(s.trim_start_matches('=')).into()
        }
        serde_json::Value::String(s) => s.as_str().into(),
        serde_json::Value::Null | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            value.to_string().as_str().into()
        }
    }
}

fn color_or(color: Option<&str>, default: u32) -> Color {
    Color::RGB(color.and_then(parse_color).unwrap_or(default))
}

/// `#RRGGBB` (or `RRGGBB`) as a number.
pub(crate) fn parse_color(color: &str) -> Option<u32> {
    let hex = color.strip_prefix('#').unwrap_or(color);
    if hex.len() != 6 {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// Excel's table style named `light1`–`light21`, `medium1`–`medium28`,
/// `dark1`–`dark11` (case-insensitive; `TableStyleMedium9` also works).
pub(crate) fn table_style(name: &str) -> Option<TableStyle> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_prefix("tablestyle").unwrap_or(&lower);
    let (family, n) = lower.split_at(lower.find(|c: char| c.is_ascii_digit())?);
    let n: u8 = n.parse().ok()?;
    let all = [
        TableStyle::Light1,
        TableStyle::Light2,
        TableStyle::Light3,
        TableStyle::Light4,
        TableStyle::Light5,
        TableStyle::Light6,
        TableStyle::Light7,
        TableStyle::Light8,
        TableStyle::Light9,
        TableStyle::Light10,
        TableStyle::Light11,
        TableStyle::Light12,
        TableStyle::Light13,
        TableStyle::Light14,
        TableStyle::Light15,
        TableStyle::Light16,
        TableStyle::Light17,
        TableStyle::Light18,
        TableStyle::Light19,
        TableStyle::Light20,
        TableStyle::Light21,
        TableStyle::Medium1,
        TableStyle::Medium2,
        TableStyle::Medium3,
        TableStyle::Medium4,
        TableStyle::Medium5,
        TableStyle::Medium6,
        TableStyle::Medium7,
        TableStyle::Medium8,
        TableStyle::Medium9,
        TableStyle::Medium10,
        TableStyle::Medium11,
        TableStyle::Medium12,
        TableStyle::Medium13,
        TableStyle::Medium14,
        TableStyle::Medium15,
        TableStyle::Medium16,
        TableStyle::Medium17,
        TableStyle::Medium18,
        TableStyle::Medium19,
        TableStyle::Medium20,
        TableStyle::Medium21,
        TableStyle::Medium22,
        TableStyle::Medium23,
        TableStyle::Medium24,
        TableStyle::Medium25,
        TableStyle::Medium26,
        TableStyle::Medium27,
        TableStyle::Medium28,
        TableStyle::Dark1,
        TableStyle::Dark2,
        TableStyle::Dark3,
        TableStyle::Dark4,
        TableStyle::Dark5,
        TableStyle::Dark6,
        TableStyle::Dark7,
        TableStyle::Dark8,
        TableStyle::Dark9,
        TableStyle::Dark10,
        TableStyle::Dark11,
    ];
    let offset = match family {
        "light" if (1..=21).contains(&n) => 0,
        "medium" if (1..=28).contains(&n) => 21,
        "dark" if (1..=11).contains(&n) => 49,
        _ => return None,
    };
    all.get(offset + usize::from(n) - 1).copied()
}
