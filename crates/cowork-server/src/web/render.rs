//! The templates, embedded in the binary, and the one environment that
//! renders them. Every template escapes HTML, whatever its name: file
//! content, model text and tool output are untrusted, and only the two
//! filters here (which escape everything themselves) produce markup.

use std::sync::LazyLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use rust_embed::RustEmbed;
use serde::Serialize;

use super::markdown;
use super::text::{escape_html, path_segment, url_encode};

#[derive(RustEmbed)]
#[folder = "web/templates/"]
struct Templates;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(environment);

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // Block tags on their own lines leave no blank lines behind.
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // A typo in a template fails its render (and the tests) instead of
    // printing nothing; `if x` on a missing value stays allowed.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_loader(|name| {
        Ok(Templates::get(name).map(|file| String::from_utf8_lossy(&file.data).into_owned()))
    });
    env.add_filter("markdown", |text: &str| {
        Value::from_safe_string(markdown::to_html(text))
    });
    env.add_filter("output", |text: &str| {
        Value::from_safe_string(output_html(text))
    });
    env.add_global(
        "step_states",
        Value::from(Serde(serde_json::json!({
            "pending": "asked",
            "running": "running",
            "awaiting": "waiting for you",
            "done": "done",
            "failed": "failed",
            "denied": "denied",
        }))),
    );
    env.add_filter("query", |text: &str| url_encode(text));
    env.add_filter("segment", |text: &str| path_segment(text));
    env
}

/// Renders template `name` with `context`, plain data.
pub(crate) fn render<S: Serialize>(name: &str, context: S) -> Result<String, minijinja::Error> {
    render_value(name, data(context))
}

/// Renders template `name` with a context built by `minijinja::context!`,
/// which keeps [`safe`] values safe (serde would turn them into strings
/// that get escaped again).
pub(crate) fn render_value(name: &str, context: Value) -> Result<String, minijinja::Error> {
    ENV.get_template(name)?.render(context)
}

/// Plain data as a template value.
pub(crate) fn data<S: Serialize>(value: S) -> Value {
    Value::from(Serde(value))
}

/// HTML that is already safe (rendered by a template or escaped here), to
/// put into another template as is.
pub(crate) fn safe(html: String) -> Value {
    Value::from_safe_string(html)
}

/// A tool's output as HTML: escaped, with a unified diff's added, removed
/// and hunk lines and the sandbox's network notes marked for styling.
pub(crate) fn output_html(text: &str) -> String {
    let is_diff = text
        .lines()
        .any(|line| line.starts_with("@@ ") || line.starts_with("--- a/"));
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let class = if line.starts_with("Network:") {
            Some("net")
        } else if !is_diff {
            None
        } else if line.starts_with("+++ ") || line.starts_with("--- ") {
            Some("file")
        } else if line.starts_with("@@") {
            Some("hunk")
        } else if line.starts_with('+') {
            Some("add")
        } else if line.starts_with('-') {
            Some("del")
        } else {
            None
        };
        match class {
            Some(class) => {
                out.push_str("<span class=\"");
                out.push_str(class);
                out.push_str("\">");
                out.push_str(&escape_html(line));
                out.push_str("</span>");
            }
            None => out.push_str(&escape_html(line)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_are_marked_and_escaped() {
        let diff = "--- a/x.html\n+++ b/x.html\n@@ -1 +1 @@\n-<b>old</b>\n+<i>new</i>\n same";
        insta::assert_snapshot!(output_html(diff), @r#"
        <span class="file">--- a/x.html</span>
        <span class="file">+++ b/x.html</span>
        <span class="hunk">@@ -1 +1 @@</span>
        <span class="del">-&lt;b&gt;old&lt;/b&gt;</span>
        <span class="add">+&lt;i&gt;new&lt;/i&gt;</span>
         same
        "#);
    }

    #[test]
    fn plus_and_minus_lines_outside_a_diff_are_not_marked() {
        assert_eq!(output_html("- item\n+ more"), "- item\n+ more");
        assert_eq!(
            output_html("ok\nNetwork: example.com refused"),
            "ok\n<span class=\"net\">Network: example.com refused</span>"
        );
    }

    #[test]
    fn every_template_compiles() {
        for name in Templates::iter() {
            if let Err(e) = ENV.get_template(&name) {
                panic!("{name}: {e:#}");
            }
        }
    }

    #[test]
    fn templates_escape_html_whatever_their_name() {
        let html = render(
            "error.html",
            serde_json::json!({"message": "<script>x</script>"}),
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
