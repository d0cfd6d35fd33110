//! "Did you mean …?": the names close to one nobody knows, shared by the
//! `Skill` tool and unknown `/commands` so both suggest alike.

/// At most this many suggestions: more is a list, not a hint.
const MAX_SUGGESTIONS: usize = 5;

/// The `candidates` close to `name`, best first: by edit distance, with a
/// qualified candidate (`plugin:name`) also judged by its bare name, and
/// any candidate containing `name` (or contained in it) counted as close.
/// Case is ignored. Ties go to the closer whole name, then alphabetical
/// order, so the answer is stable.
pub fn close_matches<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted = name.trim_start_matches('/').to_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let wanted_bare = bare(&wanted);
    let limit = (wanted.chars().count() / 3).max(2);
    // By the better of the two distances, then the whole name's, then
    // alphabetically.
    let mut scored: Vec<(usize, usize, String)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            let whole = edit_distance(&wanted, &lower);
            let distance = whole.min(edit_distance(wanted_bare, bare(&lower)));
            // Very short parts would make everything "close".
            let holds = |outer: &str, inner: &str| inner.len() >= 3 && outer.contains(inner);
            let contains = holds(&lower, wanted_bare) || holds(&wanted, bare(&lower));
            (distance <= limit || contains).then(|| (distance, whole, candidate.to_owned()))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, name)| name)
        .collect()
}

/// `name` of `plugin:name`.
fn bare(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, bare)| bare)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_suggests_the_qualified_and_the_bare_name_best_first() {
        let known = ["productivity:standup", "standup", "sales:pipeline", "xlsx"];
        assert_eq!(
            close_matches("stnadup", known),
            vec!["standup".to_owned(), "productivity:standup".to_owned()]
        );
    }

    #[test]
    fn a_name_far_from_everything_suggests_nothing() {
        assert!(close_matches("zzzzzz", ["standup", "pipeline"]).is_empty());
        assert!(close_matches("", ["standup"]).is_empty());
    }

    #[test]
    fn a_part_of_a_name_suggests_the_names_holding_it() {
        assert_eq!(
            close_matches("pipe", ["sales:pipeline-review", "docx"]),
            vec!["sales:pipeline-review".to_owned()]
        );
    }

    #[test]
    fn case_and_a_leading_slash_are_ignored() {
        assert_eq!(
            close_matches("/StandUp", ["standup"]),
            vec!["standup".to_owned()]
        );
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
