//! The UI's static files (htmx, its SSE extension, our glue script and
//! stylesheet), embedded in the binary.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/static/"]
struct Static;

/// `GET /static/{file}`.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (Some(content), Some(content_type)) = (Static::get(&file), content_type(&file)) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut response = content.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The files change only with the binary; an hour of caching saves the
    // reloads of a session and a new build is picked up soon enough.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}

fn content_type(file: &str) -> Option<&'static str> {
    let ext = file.rsplit_once('.')?.1;
    Some(match ext {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--name: #rrggbb` declarations of the stylesheet's light (first) or
    /// dark (second) `:root` block.
    fn palette(dark: bool) -> std::collections::HashMap<String, [f64; 3]> {
        let css = String::from_utf8(Static::get("app.css").unwrap().data.into_owned()).unwrap();
        let block = css.split(":root {").nth(if dark { 2 } else { 1 }).unwrap();
        let block = &block[..block.find('}').unwrap()];
        block
            .split(';')
            .filter_map(|decl| {
                let (name, value) = decl.split_once(':')?;
                let hex = value.trim().strip_prefix('#')?;
                let channel = |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap());
                Some((name.trim().to_owned(), [channel(0), channel(2), channel(4)]))
            })
            .collect()
    }

    fn luminance(rgb: [f64; 3]) -> f64 {
        let f = |c: f64| {
            let c = c / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2])
    }

    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn text_colours_meet_wcag_aa_contrast_in_both_schemes() {
        let pairs = [
            ("--text", "--surface"),
            ("--text", "--bg"),
            ("--text", "--code-bg"),
            ("--muted", "--surface"),
            ("--muted", "--bg"),
            ("--muted", "--code-bg"),
            ("--accent", "--surface"),
            ("--accent-text", "--accent"),
            ("--danger", "--surface"),
            ("--run-fg", "--run-bg"),
            ("--ok-fg", "--ok-bg"),
            ("--ok-fg", "--surface"),
            ("--bad-fg", "--bad-bg"),
            ("--off-fg", "--off-bg"),
            ("--warn-fg", "--warn-bg"),
            ("--warn-fg", "--surface"),
        ];
        for dark in [false, true] {
            let colours = palette(dark);
            for (fg, bg) in pairs {
                let ratio = contrast(colours[fg], colours[bg]);
                assert!(ratio >= 4.5, "{fg} on {bg} (dark: {dark}): {ratio:.2}:1");
            }
            // Focus rings are not text: 3:1 against the page.
            assert!(contrast(colours["--focus"], colours["--surface"]) >= 3.0);
        }
    }

    #[test]
    fn only_known_types_are_served() {
        assert_eq!(
            content_type("app.js"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(content_type("README.md"), None);
    }
}
