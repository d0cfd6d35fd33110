use std::io::{Cursor, Read};

use super::*;
use crate::NoAssets;
use crate::read::{ReadOptions, read};

fn parse(json: serde_json::Value) -> PresentationSpec {
    crate::spec::parse(&json).unwrap()
}

fn error(json: serde_json::Value) -> (String, String) {
    let spec: Result<PresentationSpec, _> = crate::spec::parse(&json);
    let err = match spec {
        Ok(spec) => write(&spec, &NoAssets).unwrap_err(),
        Err(e) => e,
    };
    match err {
        DocsError::InvalidSpec { path, message } => (path, message),
        other => panic!("expected InvalidSpec, got {other:?}"),
    }
}

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn an_unknown_layout_names_the_slide_and_the_choices() {
    let (path, message) = error(serde_json::json!({
        "slides": [{"title": "a", "bullets": ["x"]}, {"layout": "bullet", "title": "b"}]
    }));
    assert_eq!(path, "slides[1].layout");
    assert!(
        message.contains("bullet") && message.contains("two_column"),
        "{message}"
    );
}

#[test]
fn a_field_the_layout_does_not_show_is_refused() {
    let (path, message) = error(serde_json::json!({
        "slides": [{"layout": "title", "title": "a", "bullets": ["x"]}]
    }));
    assert_eq!(path, "slides[0].bullets");
    assert!(message.contains("\"layout\": \"bullets\""), "{message}");
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        (serde_json::json!({"slides": []}), "slides"),
        (
            serde_json::json!({"slides": [{"bullets": ["x"]}]}),
            "slides[0].title",
        ),
        (
            serde_json::json!({"slides": [{"title": "t", "bullets": ["x", {"text": " ", "level": 1}]}]}),
            "slides[0].bullets[1]",
        ),
        (
            serde_json::json!({"slides": [{"title": "t", "bullets": ["x", {"text": "y", "level": 2}]}]}),
            "slides[0].bullets[1].level",
        ),
        (
            serde_json::json!({"theme": {"accent": "orange"}, "slides": [{"title": "t", "bullets": ["x"]}]}),
            "theme.accent",
        ),
        (
            serde_json::json!({"slides": [{"layout": "table", "title": "t", "table": {"header": ["a"], "rows": [["1", "2"]]}}]}),
            "slides[0].table.rows[0]",
        ),
        (
            serde_json::json!({"slides": [{"layout": "two_column", "title": "t", "left": {"bullets": ["x"]}}]}),
            "slides[0].right",
        ),
        (
            serde_json::json!({"slides": [{"layout": "chart", "chart": {"kind": "pie", "categories": ["a"], "series": []}}]}),
            "slides[0].chart.series",
        ),
        (
            serde_json::json!({"slides": [{"layout": "image", "title": "t"}]}),
            "slides[0].image",
        ),
    ];
    for (json, expected) in cases {
        let (path, message) = error(json);
        assert_eq!(path, expected, "{message}");
        assert!(!message.is_empty());
    }
}

#[test]
fn bullets_become_placeholder_paragraphs_with_levels_and_emphasis() {
    let spec = parse(serde_json::json!({
        "slides": [{"title": "Plan", "bullets": [
            "Grow **revenue**", {"text": "In *Europe*", "level": 1}, {"text": "Deep", "level": 1}, {"text": "Deeper", "level": 2},
            "Cut <costs> & waste"
        ], "notes": "Say hello.\n\nThen goodbye."}]
    }));
    let bytes = write(&spec, &NoAssets).unwrap();
    let slide = part(&bytes, "ppt/slides/slide1.xml");
    assert!(slide.contains("<p:ph type=\"title\"/>"));
    assert!(slide.contains("<a:pPr lvl=\"1\"/>") && slide.contains("<a:pPr lvl=\"2\"/>"));
    assert!(
        slide.contains("b=\"1\" dirty=\"0\"/><a:t>revenue</a:t>"),
        "{slide}"
    );
    assert!(slide.contains("Cut &lt;costs&gt; &amp; waste"));
    let notes = part(&bytes, "ppt/notesSlides/notesSlide1.xml");
    assert!(notes.contains("Say hello.") && notes.contains("Then goodbye."));
    let rels = part(&bytes, "ppt/slides/_rels/slide1.xml.rels");
    assert!(rels.contains("notesSlide1.xml") && rels.contains("slideLayout2.xml"));
}

#[test]
fn a_long_list_shrinks_to_fit() {
    let bullets: Vec<String> = (0..25)
        .map(|i| format!("Point number {i} with a fair amount of words in it"))
        .collect();
    let spec = parse(serde_json::json!({"slides": [{"title": "Many", "bullets": bullets}]}));
    let slide = part(&write(&spec, &NoAssets).unwrap(), "ppt/slides/slide1.xml");
    assert!(slide.contains("<a:normAutofit fontScale="), "{slide}");
}

#[test]
fn theme_colours_and_fonts_reach_the_theme_part() {
    let spec = parse(serde_json::json!({
        "theme": {"primary": "#123456", "accent": "#abcdef", "heading_font": "Georgia", "body_font": "Arial"},
        "slides": [{"layout": "title", "title": "T"}]
    }));
    let theme = part(&write(&spec, &NoAssets).unwrap(), "ppt/theme/theme1.xml");
    assert!(theme.contains("<a:accent1><a:srgbClr val=\"123456\"/>"));
    assert!(theme.contains("<a:accent2><a:srgbClr val=\"ABCDEF\"/>"));
    assert!(theme.contains("<a:majorFont><a:latin typeface=\"Georgia\"/>"));
    assert!(theme.contains("<a:minorFont><a:latin typeface=\"Arial\"/>"));
}

#[test]
fn images_that_are_not_png_or_jpeg_are_refused_by_path() {
    struct Text;
    impl Assets for Text {
        fn load(&self, _: &str) -> Result<Vec<u8>, DocsError> {
            Ok(b"GIF89a....".to_vec())
        }
    }
    let spec = parse(serde_json::json!({"slides": [{"layout": "image", "image": "a.gif"}]}));
    match write(&spec, &Text).unwrap_err() {
        DocsError::InvalidSpec { path, message } => {
            assert_eq!(path, "slides[0].image");
            assert!(message.contains("PNG"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn image_sizes_are_read_from_png_and_jpeg_headers() {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(640u32.to_be_bytes());
    png.extend(480u32.to_be_bytes());
    let info = image::info(&png).unwrap();
    assert_eq!((info.ext, info.width, info.height), ("png", 640, 480));
    // SOI, an APP0 segment of 4 bytes, then SOF0 with height 300, width 200.
    let jpeg = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C,
        0x00, 0xC8,
    ];
    let info = image::info(&jpeg).unwrap();
    assert_eq!((info.ext, info.width, info.height), ("jpeg", 200, 300));
    assert!(image::info(&[0xFF, 0xD8, 0xFF]).is_none());
}

#[test]
fn a_fitted_image_keeps_its_proportions_and_is_centred() {
    let area = geometry::Rect {
        x: 0,
        y: 0,
        w: 1000,
        h: 500,
    };
    let tall = image::fit(
        image::ImageInfo {
            ext: "png",
            width: 100,
            height: 200,
        },
        area,
    );
    assert_eq!((tall.w, tall.h, tall.x, tall.y), (250, 500, 375, 0));
    let wide = image::fit(
        image::ImageInfo {
            ext: "png",
            width: 400,
            height: 100,
        },
        area,
    );
    assert_eq!((wide.w, wide.h, wide.x, wide.y), (1000, 250, 0, 125));
}

#[test]
fn markdown_makes_title_bullets_columns_table_and_notes() {
    let text = "# Q3 Review\nAcme Corp\n\n---\n\n## Highlights\n\n- Revenue up\n  - Europe **+20%**\n- Costs down\n\nNotes: Pause here.\n\nThen move on.\n\n---\n\n## Before and after\n\n### Before\n- Manual\n\n### After\n- Automated\n\n---\n\n## Numbers\n\n| Region | Sales |\n|---|---|\n| North | 1,200 |\n\n---\n\n![Our map](map.png)\n\n---\n\n# Part two\n";
    let spec = spec_from_markdown(text).unwrap();
    let layouts: Vec<Layout> = spec.slides.iter().map(|s| s.layout).collect();
    assert_eq!(
        layouts,
        [
            Layout::Title,
            Layout::Bullets,
            Layout::TwoColumn,
            Layout::Table,
            Layout::Image,
            Layout::Section
        ]
    );
    assert_eq!(spec.title.as_deref(), Some("Q3 Review"));
    assert_eq!(spec.slides[0].subtitle.as_deref(), Some("Acme Corp"));
    let highlights = &spec.slides[1];
    assert_eq!(highlights.bullets[1].text(), "Europe **+20%**");
    assert_eq!(highlights.bullets[1].level(), 1);
    assert_eq!(highlights.bullets[2].level(), 0);
    assert_eq!(
        highlights.notes.as_deref(),
        Some("Pause here.\n\nThen move on.")
    );
    assert_eq!(
        spec.slides[2].right.as_ref().unwrap().heading.as_deref(),
        Some("After")
    );
    assert_eq!(
        spec.slides[3].table.as_ref().unwrap().rows[0],
        ["North", "1,200"]
    );
    assert_eq!(spec.slides[4].caption.as_deref(), Some("Our map"));
}

#[test]
fn markdown_without_slides_is_an_error() {
    assert!(matches!(
        spec_from_markdown("\n---\n\n"),
        Err(DocsError::InvalidSpec { .. })
    ));
}

#[test]
fn our_reader_reads_our_deck_back() {
    let spec = parse(serde_json::json!({
        "slides": [
            {"layout": "title", "title": "Deck", "subtitle": "Sub"},
            {"title": "Points", "bullets": ["A", "B", {"text": "B1", "level": 1}], "notes": "Remember B."},
            {"layout": "table", "title": "Data", "table": {"header": ["K", "V"], "rows": [["x", "1"]]}},
            {"layout": "section", "title": "Next", "subtitle": "Part 2"}
        ]
    }));
    let text = read(
        "deck.pptx",
        &write(&spec, &NoAssets).unwrap(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(text.contains("## Slide 1: Deck\n\nSub\n"), "{text}");
    assert!(
        text.contains("## Slide 2: Points\n\n- A\n- B\n  - B1\n\nNotes: Remember B."),
        "{text}"
    );
    assert!(
        text.contains("| K | V |\n| --- | --- |\n| x | 1 |"),
        "{text}"
    );
    assert!(text.contains("## Slide 4: Next\n\nPart 2"), "{text}");
    assert!(!text.contains("‹#›"), "{text}");
}

#[test]
fn the_schema_describes_layouts_for_the_model() {
    let schema = crate::spec::schema::<PresentationSpec>().to_string();
    assert!(
        schema.contains("two_column") && schema.contains("Speaker notes"),
        "{schema}"
    );
}
