//! Turning any text (a person's prompt, a model's query) into an FTS5
//! match expression that cannot be a syntax error: its words, each quoted,
//! joined by OR, so BM25 ranks entries by how many of the rarer words they
//! share.

/// What happens to the most common English words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopwords {
    /// Left out: they match nearly every entry, and ranking every entry
    /// costs time (at 100,000 entries, the bulk of a recall) while BM25
    /// gives them almost no weight anyway.
    Drop,
    /// Searched like any word (to measure what dropping them saves).
    Keep,
}

/// More words than this in a query add little but time; the first ones
/// are kept.
pub(crate) const MAX_TERMS: usize = 32;

/// Words longer than this are not words a note would share (a pasted
/// hash, a URL's tail).
const MAX_TERM_CHARS: usize = 40;

/// Common English words, lower case, in sorted order (searched by binary
/// search).
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did", "do",
    "does", "doing", "done", "each", "for", "from", "get", "had", "has", "have", "having", "he",
    "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let",
    "me", "more", "most", "my", "no", "not", "now", "of", "on", "once", "only", "or", "other",
    "our", "out", "over", "please", "s", "she", "should", "so", "some", "such", "t", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through",
    "to", "too", "up", "us", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "why", "will", "with", "would", "you", "your",
];

/// `text`'s words: runs of letters and digits, lower-cased, each once, at
/// most [`MAX_TERMS`].
pub fn query_terms(text: &str, stopwords: Stopwords) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() || word.chars().count() > MAX_TERM_CHARS {
            continue;
        }
        let word = word.to_lowercase();
        if stopwords == Stopwords::Drop && STOPWORDS.binary_search(&word.as_str()).is_ok() {
            continue;
        }
        if !terms.contains(&word) {
            terms.push(word);
            if terms.len() == MAX_TERMS {
                break;
            }
        }
    }
    terms
}

/// The match expression for `terms`: `"w1" OR "w2" …`. Quoting makes
/// every one a plain term, whatever FTS5 would otherwise read in it
/// (`AND`, `NEAR`, `*`, `:`, `-`). `None`: no term.
pub fn or_expression<S: AsRef<str>>(terms: &[S]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    // A term is letters and digits only, so it holds no `"` to escape.
    let quoted: Vec<String> = terms
        .iter()
        .map(|t| format!("\"{}\"", t.as_ref()))
        .collect();
    Some(quoted.join(" OR "))
}

/// The match expression for all of `text`'s words (see [`query_terms`]).
pub fn match_expression(text: &str, stopwords: Stopwords) -> Option<String> {
    or_expression(&query_terms(text, stopwords))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn match_expression_dropping(text: &str) -> Option<String> {
        match_expression(text, Stopwords::Drop)
    }

    #[test]
    fn the_stopword_list_is_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn fts_syntax_in_a_prompt_becomes_plain_quoted_words() {
        let expression =
            match_expression_dropping(r#"NEAR("x" y) AND invoices* -draft col:umn "quoted""#);
        assert_eq!(
            expression.as_deref(),
            Some(r#""near" OR "x" OR "y" OR "invoices" OR "draft" OR "col" OR "umn" OR "quoted""#)
        );
    }

    #[test]
    fn words_repeat_once_and_stopwords_are_dropped_unless_kept() {
        assert_eq!(
            match_expression_dropping("The budget, the BUDGET and the team").as_deref(),
            Some(r#""budget" OR "team""#)
        );
        assert_eq!(
            match_expression("the budget", Stopwords::Keep).as_deref(),
            Some(r#""the" OR "budget""#)
        );
    }

    #[test]
    fn text_without_a_searchable_word_gives_no_query() {
        assert_eq!(match_expression_dropping(""), None);
        assert_eq!(match_expression_dropping("?! -- ()"), None);
        assert_eq!(match_expression_dropping("what is the"), None);
    }

    #[test]
    fn letters_beyond_ascii_are_words_too() {
        assert_eq!(
            match_expression_dropping("Müller's Straße, 東京").as_deref(),
            Some(r#""müller" OR "straße" OR "東京""#)
        );
    }
}
