//! `mcp__<server>__<tool>`: names the model sees, within what providers
//! accept (`[A-Za-z0-9_-]`, at most 64 characters), stable from run to run.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// The longest tool name model providers accept.
pub const MAX_NAME: usize = 64;

/// The name of `tool` on `server`, unique within `taken` (which it joins).
/// Characters outside `[A-Za-z0-9_-]` become `_`; a name that is too long,
/// or that another tool's name already became, is cut and given a suffix
/// hashed from the real names, so it stays the same across runs.
pub fn tool_name(server: &str, tool: &str, taken: &mut HashSet<String>) -> String {
    let plain = format!("mcp__{}__{}", sanitize(server), sanitize(tool));
    let name = if plain.len() <= MAX_NAME && !taken.contains(&plain) {
        plain
    } else {
        let digest = Sha256::digest(format!("{server}\0{tool}").as_bytes());
        let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        // Sanitised names are ASCII, so any byte index is a char boundary.
        let keep = plain.len().min(MAX_NAME - suffix.len() - 1);
        format!("{}_{suffix}", &plain[..keep])
    };
    taken.insert(name.clone());
    name
}

/// `name` with every character outside `[A-Za-z0-9_-]` replaced by `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_only_characters_providers_accept() {
        let mut taken = HashSet::new();
        assert_eq!(
            tool_name("my server", "files.read/all", &mut taken),
            "mcp__my_server__files_read_all"
        );
        assert_eq!(tool_name("é", "x", &mut taken), "mcp_____x");
    }

    #[test]
    fn a_long_name_is_cut_to_64_with_a_stable_suffix() {
        let tool = "a".repeat(100);
        let first = tool_name("srv", &tool, &mut HashSet::new());
        let again = tool_name("srv", &tool, &mut HashSet::new());
        assert_eq!(first.len(), MAX_NAME);
        assert_eq!(first, again);
        let other = tool_name("srv", &format!("{tool}b"), &mut HashSet::new());
        assert_ne!(
            first, other,
            "two long names that share a prefix stay apart"
        );
    }

    #[test]
    fn two_tools_that_sanitise_alike_get_different_names() {
        let mut taken = HashSet::new();
        let dotted = tool_name("s", "a.b", &mut taken);
        let underscored = tool_name("s", "a_b", &mut taken);
        assert_ne!(dotted, underscored);
        assert!(underscored.len() <= MAX_NAME);
    }
}
