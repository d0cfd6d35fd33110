use super::*;

struct Images(Vec<String>);

impl ImageSource for Images {
    fn image(&mut self, src: &str) -> Result<Vec<u8>, crate::DocsError> {
        self.0.push(src.to_owned());
        Ok(src.as_bytes().to_vec())
    }
}

fn render(markdown: &str) -> (Body, Vec<String>) {
    let mut images = Images(Vec::new());
    let body = body(&Markdown::parse(markdown), &mut images).unwrap();
    (body, images.0)
}

#[test]
fn strings_escape_quotes_backslashes_and_control_characters() {
    assert_eq!(string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    assert_eq!(string("x\ny\r\tz"), r#""x\ny\r\tz""#);
    assert_eq!(string("\u{7}"), r#""\u{7}""#);
    assert_eq!(
        string("#import $x$ ] [ <b> @ref"),
        "\"#import $x$ ] [ <b> @ref\""
    );
}

#[test]
fn user_text_only_appears_inside_string_literals() {
    let (body, _) = render("Hi #set text(red) ]\" \\\n\n# Head `co\"de` *e*");
    assert_eq!(
        body.source,
        "#\"Hi #set text(red) ]\\\" \\\\\"\n\n\
         #heading(level: 1, outlined: true)[#\"Head \"#raw(\"co\\\"de\")#\" \"#emph[#\"e\"]]"
    );
}

#[test]
fn deep_headings_map_to_level_three() {
    let (body, _) = render("###### Deep");
    assert!(
        body.source.starts_with("#heading(level: 3,"),
        "{}",
        body.source
    );
}

#[test]
fn short_table_rows_are_padded_to_the_header() {
    let (body, _) = render("| a | b |\n|:-|--:|\n| 1 |\n");
    assert_eq!(
        body.source,
        "#report-table((left, right, ), ([#\"a\"], [#\"b\"], ), (([#\"1\"], [], ), ))"
    );
}

#[test]
fn lists_nest_and_keep_their_start_and_task_markers() {
    let (body, _) = render("3. one\n4. two\n   - [x] done\n   - [ ] todo\n");
    assert_eq!(
        body.source,
        "#enum(tight: false, start: 3, [#\"one\"], [#\"two\"\n\n#list(tight: true, marker: [], \
         [#checkbox(true)#\"done\"], [#checkbox(false)#\"todo\"])])"
    );
}

#[test]
fn a_repeated_image_is_loaded_once() {
    let (body, loaded) = render("![A](a.png)\n\n![B](a.png \"Title\")\n\nx ![i](b.png) y");
    assert_eq!(loaded, ["a.png", "b.png"]);
    assert_eq!(body.images.len(), 2);
    assert!(
        body.source
            .contains("#report-figure(images.at(0), \"A\", [#\"A\"])")
    );
    assert!(
        body.source
            .contains("#report-figure(images.at(0), \"B\", [#\"Title\"])")
    );
    assert!(body.source.contains("#inline-image(images.at(1), \"i\")"));
}

#[test]
fn empty_links_keep_their_text() {
    let (body, _) = render("[text]() and [](https://x.org)");
    assert_eq!(
        body.source,
        "#\"text\"#\" and \"#link(\"https://x.org\")[#\"https://x.org\"]"
    );
}

#[test]
fn hostile_nesting_is_flattened_past_the_depth_limit() {
    let (body, _) = render(&format!("{} deep", ">".repeat(200)));
    assert_eq!(body.source.matches("#report-quote[").count(), MAX_DEPTH);
}

#[test]
fn code_blocks_keep_their_language_and_lose_the_final_newline() {
    let (body, _) = render("```rust\nfn main() {}\n```\n");
    assert_eq!(
        body.source,
        "#raw(block: true, lang: \"rust\", \"fn main() {}\")"
    );
}
