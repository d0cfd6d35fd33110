//! Cell values as a spec gives them, and their typing against a column:
//! what is written, with which format, or why it does not fit.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::spec::ColumnType;

/// One cell as the spec gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// `null`: an empty cell (it still takes the column's format).
    Empty,
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Number(f64),
    /// A string (not starting with `=`), or `{"text": ...}`.
    Text(String),
    /// A string starting with `=`, or `{"formula": ..., "result": ...}`.
    Formula {
        /// The formula, starting with `=`.
        formula: String,
        /// Its value, when known: stored in the file so readers that do not
        /// recalculate see it.
        result: Option<FormulaResult>,
    },
}

/// The known value of a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum FormulaResult {
    /// A number (dates are numbers too).
    Number(f64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl CellValue {
    /// A formula with no known result (`=` is added when missing).
    pub fn formula(formula: impl Into<String>) -> Self {
        let formula = formula.into();
        let formula = if formula.starts_with('=') {
            formula
        } else {
            format!("={formula}")
        };
        Self::Formula {
            formula,
            result: None,
        }
    }
}

impl From<f64> for CellValue {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl From<&str> for CellValue {
    fn from(value: &str) -> Self {
        if value.starts_with('=') {
            Self::formula(value)
        } else {
            Self::Text(value.to_owned())
        }
    }
}

impl From<bool> for CellValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl<'de> serde::Deserialize<'de> for CellValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

const EXPECTED: &str = "a number, a string, true/false, null, {\"formula\": \"=...\", \"result\": ...} or {\"text\": \"...\"}";

impl<'de> Visitor<'de> for CellVisitor {
    type Value = CellValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_unit<E: de::Error>(self) -> Result<CellValue, E> {
        Ok(CellValue::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<CellValue, E> {
        Ok(CellValue::Empty)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<CellValue, E> {
        Ok(CellValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<CellValue, E> {
        Ok(CellValue::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<CellValue, E> {
        Ok(CellValue::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<CellValue, E> {
        Ok(CellValue::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CellValue, E> {
        Ok(CellValue::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<CellValue, E> {
        if v.starts_with('=') {
            Ok(CellValue::formula(v))
        } else {
            Ok(CellValue::Text(v))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CellValue, A::Error> {
        let mut formula: Option<String> = None;
        let mut result: Option<serde_json::Value> = None;
        let mut text: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "formula" => formula = Some(map.next_value()?),
                "result" => result = Some(map.next_value()?),
                "text" => text = Some(map.next_value()?),
                other => {
                    return Err(de::Error::unknown_field(
                        other,
                        &["formula", "result", "text"],
                    ));
                }
            }
        }
        match (formula, text) {
            (Some(formula), None) => {
                let result = match result {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::Bool(b)) => Some(FormulaResult::Bool(b)),
                    Some(serde_json::Value::Number(n)) => {
                        Some(FormulaResult::Number(n.as_f64().unwrap_or_default()))
                    }
                    Some(serde_json::Value::String(s)) => Some(FormulaResult::Text(s)),
                    Some(_) => {
                        return Err(de::Error::custom(
                            "`result` must be a number, a string or true/false",
                        ));
                    }
                };
                match CellValue::formula(formula) {
                    CellValue::Formula { formula, .. } => {
                        Ok(CellValue::Formula { formula, result })
                    }
                    other => Ok(other),
                }
            }
            (None, Some(text)) if result.is_none() => Ok(CellValue::Text(text)),
            _ => Err(de::Error::custom(format!("expected {EXPECTED}"))),
        }
    }
}

impl JsonSchema for CellValue {
    fn schema_name() -> Cow<'static, str> {
        "CellValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A cell: a number, a string (a formula when it starts with `=`), true/false, null for empty, {\"formula\":\"=SUM(C2:C9)\",\"result\":123.5} with the formula's known value, or {\"text\":\"=literal\"}.",
            "anyOf": [
                {"type": "number"},
                {"type": "string"},
                {"type": "boolean"},
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "formula": {"type": "string", "description": "A formula starting with `=`."},
                        "result": {"description": "The formula's value when known (number, string or boolean).", "type": ["number", "string", "boolean"]}
                    },
                    "required": ["formula"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": {"text": {"type": "string", "description": "Literal text, even when it starts with `=`."}},
                    "required": ["text"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// A cell ready to write: the value and how to store it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Typed<'a> {
    Blank,
    Number(f64),
    Text(&'a str),
    Bool(bool),
    /// An Excel serial date; `text` is the ISO form the spec gave.
    Date {
        serial: f64,
        text: &'a str,
    },
    Formula {
        formula: &'a str,
        result: Option<&'a FormulaResult>,
    },
}

/// Types `value` for a column of type `kind`, or says what is wrong and
/// what would be right.
pub(crate) fn typed(value: &CellValue, kind: ColumnType) -> Result<Typed<'_>, String> {
    match value {
        CellValue::Empty => Ok(Typed::Blank),
        CellValue::Formula { formula, result } => Ok(Typed::Formula {
            formula,
            result: result.as_ref(),
        }),
        CellValue::Number(n) => match kind {
            ColumnType::Auto
            | ColumnType::Number
            | ColumnType::Integer
            | ColumnType::Currency
            | ColumnType::Percent => Ok(Typed::Number(*n)),
            // A text column keeps what the model wrote; the caller shows
            // the number as text.
            ColumnType::Text => Ok(Typed::Number(*n)),
            ColumnType::Date | ColumnType::Datetime => Err(format!(
                "{n} is not a date; write dates as \"YYYY-MM-DD\" strings"
            )),
            ColumnType::Boolean => Err(format!("{n} is not a boolean; write true or false")),
        },
        CellValue::Bool(b) => match kind {
            ColumnType::Auto | ColumnType::Boolean | ColumnType::Text => Ok(Typed::Bool(*b)),
            ColumnType::Number
            | ColumnType::Integer
            | ColumnType::Currency
            | ColumnType::Percent => Err(format!(
                "{b} is not a number; this column holds numbers (use null for an empty cell)"
            )),
            ColumnType::Date | ColumnType::Datetime => Err(format!(
                "{b} is not a date; write dates as \"YYYY-MM-DD\" strings"
            )),
        },
        CellValue::Text(s) => match kind {
            ColumnType::Text => Ok(Typed::Text(s)),
            ColumnType::Auto => Ok(match date_serial(s) {
                Some(serial) => Typed::Date { serial, text: s },
                None => Typed::Text(s),
            }),
            ColumnType::Number
            | ColumnType::Integer
            | ColumnType::Currency
            | ColumnType::Percent => Err(format!(
                "{s:?} is not a number; write numbers as JSON numbers such as 42.5 (no quotes, currency symbols or % signs; percentages as fractions: 0.12 for 12%)"
            )),
            ColumnType::Date => date_serial(s)
                .map(|serial| Typed::Date { serial, text: s })
                .ok_or_else(|| format!("{s:?} is not a date; write dates as YYYY-MM-DD")),
            ColumnType::Datetime => datetime_serial(s)
                .map(|serial| Typed::Date { serial, text: s })
                .ok_or_else(|| {
                    format!(
                        "{s:?} is not a date and time; write YYYY-MM-DDTHH:MM or YYYY-MM-DD HH:MM:SS"
                    )
                }),
            ColumnType::Boolean => Err(format!(
                "{s:?} is not a boolean; write true or false (no quotes)"
            )),
        },
    }
}

/// The Excel serial number of an ISO date `YYYY-MM-DD` (1900-01-01 is 1).
pub(crate) fn date_serial(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    serial(year, month, day)
}

/// The Excel serial of `YYYY-MM-DDTHH:MM[:SS]` (or a space for `T`); a
/// plain date is midnight.
pub(crate) fn datetime_serial(s: &str) -> Option<f64> {
    if s.len() == 10 {
        return date_serial(s);
    }
    let (date, time) = (s.get(..10)?, s.get(11..)?);
    if !matches!(s.as_bytes().get(10), Some(b'T' | b' ')) {
        return None;
    }
    let day = date_serial(date)?;
    let time = time.trim_end_matches('Z').as_bytes();
    if time.len() != 5 && time.len() != 8 {
        return None;
    }
    let hour = digits(&time[0..2])?;
    let minute = digits(time.get(3..5)?)?;
    let second = if time.len() == 8 {
        if time[5] != b':' {
            return None;
        }
        digits(&time[6..8])?
    } else {
        0
    };
    if time[2] != b':' || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(day + f64::from(hour * 3600 + minute * 60 + second) / 86_400.0)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn serial(year: u32, month: u32, day: u32) -> Option<f64> {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1900..=9999).contains(&year) || day == 0 || day > days_in_month {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // 1899-12-30 is day -25569; Excel counts a phantom 1900-02-29, so
    // dates before March 1900 are one less.
    let serial = days + 25_569;
    let serial = if serial < 61 { serial - 1 } else { serial };
    Some(serial as f64)
}

/// A cell position (0-based row and column).
pub(crate) type Cell = (u32, u16);

/// The corners of a rectangle of cells (first, last), inclusive.
pub(crate) type Corners = (Cell, Cell);

/// A rectangular range, optionally on a named sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct A1Range {
    pub sheet: Option<String>,
    pub first: Cell,
    pub last: Cell,
}

/// Parses `B2`, `$B$2` (0-based result).
pub(crate) fn parse_cell(s: &str) -> Option<Cell> {
    let s = s.trim();
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'$') {
        i += 1;
    }
    let col_start = i;
    let mut col: u32 = 0;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_alphabetic()) {
        col = col * 26 + u32::from(c.to_ascii_uppercase() - b'A' + 1);
        i += 1;
        if i - col_start > 3 {
            return None;
        }
    }
    if i == col_start || col > 16_384 {
        return None;
    }
    if b.get(i) == Some(&b'$') {
        i += 1;
    }
    let row_digits = b.get(i..)?;
    if row_digits.is_empty() || row_digits.len() > 7 {
        return None;
    }
    let row = digits(row_digits)?;
    if row == 0 || row > 1_048_576 {
        return None;
    }
    Some((row - 1, u16::try_from(col - 1).ok()?))
}

/// Parses `Sheet!B2:C9`, `'My sheet'!$B$2:$B$9`, `B2:B9` or a single cell.
pub(crate) fn parse_range(s: &str) -> Result<A1Range, String> {
    let bad = || {
        format!(
            "{s:?} is not a cell range; write it like Expenses!C2:C9 or 'Q1 Budget'!C2:C9 (or C2:C9 for this sheet)"
        )
    };
    let (sheet, cells) = match s.rsplit_once('!') {
        Some((sheet, cells)) => {
            let sheet = if let Some(inner) = sheet.strip_prefix('\'') {
                inner.strip_suffix('\'').ok_or_else(bad)?.replace("''", "'")
            } else {
                sheet.to_owned()
            };
            if sheet.is_empty() {
                return Err(bad());
            }
            (Some(sheet), cells)
        }
        None => (None, s),
    };
    let (a, b) = cells.split_once(':').unwrap_or((cells, cells));
    let first = parse_cell(a).ok_or_else(bad)?;
    let last = parse_cell(b).ok_or_else(bad)?;
    Ok(A1Range {
        sheet,
        first: (first.0.min(last.0), first.1.min(last.1)),
        last: (first.0.max(last.0), first.1.max(last.1)),
    })
}

/// The column letters of a 0-based column (0 → `A`, 27 → `AB`).
pub(crate) fn column_name(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "cell_tests.rs"]
mod tests;
