//! `CONNECTORS.md`: the tool categories a plugin's text refers to as
//! `~~category`, and resolving those placeholders to the server the
//! person actually connected.
//!
//! The file holds a Markdown table with the columns `Category`,
//! `Placeholder`, `Included servers` and (optionally) `Other options`.
//! Server names in it are product names ("Atlassian (Jira/Confluence)",
//! "monday.com", "Microsoft 365"), while `.mcp.json` keys are short
//! (`atlassian`, `monday`, `ms365`); [`names_match`] bridges the two.

use std::path::Path;

use serde::Serialize;

use crate::Diagnostic;

/// The categories of a plugin's `CONNECTORS.md`, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConnectorsMap {
    pub categories: Vec<ConnectorCategory>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorCategory {
    /// As the table names it: "Project tracker".
    pub category: String,
    /// With its `~~`: "~~project tracker".
    pub placeholder: String,
    /// Servers the plugin's `.mcp.json` pre-configures for it, by product
    /// name ("Slack"); empty when none is.
    pub included: Vec<String>,
    /// Other products of the category a person may connect instead.
    pub other: Vec<String>,
}

impl ConnectorsMap {
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// The category whose placeholder is `placeholder` (with or without
    /// `~~`, any case).
    pub fn get(&self, placeholder: &str) -> Option<&ConnectorCategory> {
        let wanted = placeholder.trim_start_matches("~~");
        self.categories
            .iter()
            .find(|c| c.name().eq_ignore_ascii_case(wanted))
    }
}

impl ConnectorCategory {
    /// The placeholder without `~~`: "project tracker".
    pub fn name(&self) -> &str {
        self.placeholder.trim_start_matches("~~")
    }

    /// The `.mcp.json` servers among `connected` that serve this
    /// category, with the product name each matched, in table order.
    pub fn connected<'a>(&'a self, connected: &'a [String]) -> Vec<(&'a str, &'a str)> {
        let mut found: Vec<(&str, &str)> = Vec::new();
        for product in self.included.iter().chain(&self.other) {
            for server in connected {
                if names_match(product, server) && !found.iter().any(|(s, _)| s == server) {
                    found.push((server.as_str(), product.as_str()));
                }
            }
        }
        found
    }
}

/// Reads the tables of `CONNECTORS.md`. Rows that do not name a `~~`
/// placeholder are reported and skipped.
pub(crate) fn parse(text: &str, file: &Path) -> (ConnectorsMap, Vec<Diagnostic>) {
    let mut map = ConnectorsMap::default();
    let mut diagnostics = Vec::new();
    let mut columns: Option<Columns> = None;
    let mut saw_table = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = cells(trimmed);
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue;
        }
        let Some(cols) = &columns else {
            columns = Columns::from_header(&cells);
            saw_table |= columns.is_some();
            continue;
        };
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map_or("", String::as_str);
        let placeholder = clean(cell(Some(cols.placeholder)));
        if !placeholder.starts_with("~~") || placeholder.len() <= 2 {
            diagnostics.push(Diagnostic::warning(
                file,
                Some(line_no),
                format!(
                    "the placeholder `{placeholder}` does not start with `~~`; the row was \
                     skipped (write it as `~~category`)"
                ),
            ));
            continue;
        }
        map.categories.push(ConnectorCategory {
            category: clean(cell(cols.category)),
            placeholder,
            included: products(cell(Some(cols.included))),
            other: products(cell(cols.other)),
        });
    }
    // A CONNECTORS.md that only describes its servers (no `~~` in it)
    // needs no table.
    if !saw_table && text.contains("~~") {
        diagnostics.push(Diagnostic::warning(
            file,
            None,
            "no table with `Placeholder` and `Included servers` columns was found, so `~~` \
             placeholders cannot be resolved",
        ));
    }
    (map, diagnostics)
}

struct Columns {
    category: Option<usize>,
    placeholder: usize,
    included: usize,
    other: Option<usize>,
}

impl Columns {
    fn from_header(cells: &[String]) -> Option<Self> {
        let find = |want: &str| {
            cells
                .iter()
                .position(|c| c.to_ascii_lowercase().contains(want))
        };
        Some(Self {
            category: find("category"),
            placeholder: find("placeholder")?,
            included: find("included")?,
            other: find("other"),
        })
    }
}

fn cells(row: &str) -> Vec<String> {
    let inner = row.strip_prefix('|').unwrap_or(row);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// A cell without Markdown emphasis, code marks and escapes.
fn clean(cell: &str) -> String {
    cell.replace("\\*", "")
        .chars()
        .filter(|c| !matches!(c, '`' | '*'))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The product names of a cell: split on commas outside parentheses;
/// dashes and "not pre-configured" notes mean none.
fn products(cell: &str) -> Vec<String> {
    let cell = clean(cell);
    let mut names = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                names.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    names.push(current);
    names
        .into_iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| {
            let bare = strip_parens(n);
            !bare.is_empty() && bare.chars().any(|c| c.is_alphanumeric())
        })
        .collect()
}

/// `name` without `(…)` asides.
fn strip_parens(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0i32;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if depth <= 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// Whether the product name of a table (`Atlassian (Jira/Confluence)`)
/// and a server key of `.mcp.json` (`atlassian`) mean the same server.
///
/// Both are cut into lowercase words (at spaces, punctuation, camelCase
/// and letter/digit boundaries), after dropping `(…)` asides, a trailing
/// domain (`monday.com`, `ClinicalTrials.gov`) and, in keys, the words
/// `mcp` and `server`. They match when:
/// - the words joined are equal (`Google Calendar` ↔ `google calendar`,
///   `PagerDuty` ↔ `pagerduty`);
/// - the key is one word equal to the product's first word (`Wiley Scholar
///   Gateway` ↔ `wiley`) or to its initials (`Open Targets` ↔ `ot`);
/// - each word of the key abbreviates the product's word at its place:
///   same first letter, and its letters appear in order (`ClinicalTrials`
///   ↔ `c-trials`, `Microsoft 365` ↔ `ms365`, `Zoom` ↔ `zoom-mcp`).
pub fn names_match(product: &str, server: &str) -> bool {
    let product_words = words(&strip_domain(&strip_parens(product)));
    let server_words: Vec<String> = words(&strip_parens(server))
        .into_iter()
        .filter(|w| w != "mcp" && w != "server")
        .collect();
    if product_words.is_empty() || server_words.is_empty() {
        return false;
    }
    if product_words.concat() == server_words.concat() {
        return true;
    }
    if let [key] = server_words.as_slice() {
        let initials: String = product_words
            .iter()
            .filter_map(|w| w.chars().next())
            .collect();
        if *key == product_words[0] || (product_words.len() > 1 && *key == initials) {
            return true;
        }
    }
    // An abbreviation must be anchored: one word spelled out in full, or
    // every word long enough not to match by chance (`s` is not Slack).
    server_words.len() == product_words.len()
        && server_words
            .iter()
            .zip(&product_words)
            .all(|(key, word)| abbreviates(key, word))
        && (server_words.iter().zip(&product_words).any(|(k, w)| k == w)
            || server_words.iter().all(|k| k.chars().count() >= 3))
}

fn strip_domain(name: &str) -> String {
    for tld in [".com", ".gov", ".org", ".io", ".ai", ".app", ".net", ".co"] {
        if let Some(stem) = name.strip_suffix(tld) {
            return stem.to_owned();
        }
    }
    name.to_owned()
}

/// Lowercase words: split at non-alphanumerics, lower→upper (camelCase)
/// and letter↔digit changes.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous = None;
            continue;
        }
        let boundary = previous.is_some_and(|p| {
            (p.is_lowercase() && c.is_uppercase()) || (p.is_alphabetic() != c.is_alphabetic())
        });
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
        previous = Some(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `short` starts like `word` and its letters appear in `word` in order.
fn abbreviates(short: &str, word: &str) -> bool {
    if short.chars().next() != word.chars().next() {
        return false;
    }
    let mut letters = word.chars();
    short.chars().all(|c| letters.any(|w| w == c))
}

/// Replaces every `~~placeholder` of `map` in `text` with the product
/// name of the connected server of its category (`connected`: the
/// `.mcp.json` server names that are connected), or with "your chat tool
/// (not connected)" when none is. Several connected servers read "Asana
/// or Linear". Placeholders the map does not know stay as written.
pub fn resolve_placeholders(text: &str, map: &ConnectorsMap, connected: &[String]) -> String {
    if map.is_empty() || !text.contains("~~") {
        return text.to_owned();
    }
    // Longest first, so `~~data enrichment` wins over `~~data`.
    let mut categories: Vec<&ConnectorCategory> = map.categories.iter().collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.placeholder.len()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("~~") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let hit = categories.iter().find(|c| {
            let name = c.name();
            after
                .get(..name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(name))
                && !after[name.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        });
        match hit {
            Some(category) => {
                out.push_str(&phrase(category, connected));
                rest = &after[category.name().len()..];
            }
            None => {
                out.push_str("~~");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn phrase(category: &ConnectorCategory, connected: &[String]) -> String {
    let names: Vec<&str> = category
        .connected(connected)
        .into_iter()
        .map(|(_, product)| product)
        .collect();
    match names.as_slice() {
        [] => format!("your {} tool (not connected)", category.name()),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
#[path = "connectors_tests.rs"]
mod tests;
