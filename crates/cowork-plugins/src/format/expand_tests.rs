use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn braced_variables_expand_and_unset_ones_are_reported_once() {
    let lookup = env(&[("TOKEN", "abc")]);
    let out = expand("Bearer ${TOKEN} ${API_KEY}/${API_KEY}", &lookup);
    assert_eq!(out.text, "Bearer abc /");
    assert_eq!(out.missing, ["API_KEY"]);
}

#[test]
fn a_default_is_used_when_unset_or_empty_and_may_nest() {
    let lookup = env(&[("EMPTY", ""), ("HOST", "example.org")]);
    assert_eq!(expand("${PORT:-8080}", &lookup).text, "8080");
    assert_eq!(expand("${EMPTY:-fallback}", &lookup).text, "fallback");
    // An empty value without a default is set, not missing.
    let plain = expand("[${EMPTY}]", &lookup);
    assert_eq!((plain.text.as_str(), plain.missing.len()), ("[]", 0));
    let nested = expand("${URL:-https://${HOST}:${PORT:-443}/mcp}", &lookup);
    assert_eq!(nested.text, "https://example.org:443/mcp");
    assert!(nested.missing.is_empty());
    // A missing variable inside a default that is used is reported.
    assert_eq!(expand("${A:-${B}}", &lookup).missing, ["B"]);
}

#[test]
fn unbraced_dollars_and_malformed_references_stay_as_written() {
    let lookup = env(&[("HOME", "/home/x"), ("X", "1")]);
    for text in [
        "$HOME",
        "$$",
        "$ARGUMENTS and $1",
        "${",
        "${1ABC}",
        "${}",
        "${X",
        "cost: $5",
    ] {
        let out = expand(text, &lookup);
        assert_eq!(out.text, text, "{text}");
        assert!(out.missing.is_empty(), "{text}");
    }
    // `$$` is not an escape: the braced reference after it expands.
    assert_eq!(expand("$${X}", &lookup).text, "$1");
}

#[test]
fn values_are_not_expanded_again() {
    let lookup = env(&[("A", "${B}"), ("B", "secret")]);
    assert_eq!(expand("${A}", &lookup).text, "${B}");
}

#[test]
fn the_plugin_root_comes_from_the_plugin_not_the_environment() {
    let environment = env(&[("CLAUDE_PLUGIN_ROOT", "/wrong")]);
    let lookup = plugin_lookup(Path::new("/plugins/p"), &environment);
    assert_eq!(
        expand("node ${CLAUDE_PLUGIN_ROOT}/s.js", &lookup).text,
        "node /plugins/p/s.js"
    );
}

#[test]
fn a_server_with_an_unset_variable_names_it_in_its_error() {
    let server: McpServer = serde_json::from_value(serde_json::json!({
        "type": "http", "url": "https://${HOST:-api.example.com}/mcp",
        "headers": {"Authorization": "Bearer ${API_TOKEN}"}
    }))
    .unwrap();
    let error = expand_server(&server, &env(&[])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "API_TOKEN is not set; set it in the environment cowork runs in"
    );
    let McpServer::Remote(remote) = expand_server(&server, &env(&[("API_TOKEN", "t")])).unwrap()
    else {
        panic!("remote stays remote")
    };
    assert_eq!(remote.url, "https://api.example.com/mcp");
    assert_eq!(remote.headers["Authorization"], "Bearer t");
}
