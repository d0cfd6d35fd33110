//! Readers on damaged files: every truncation and byte flip of real
//! documents must come back as `Ok` or a `DocsError` — never a panic, never
//! a hang. (Deterministic mutations, so a failure reproduces; the
//! `fuzz/` targets explore further, and their crashers land in
//! `tests/fuzz-regressions/`.)

use std::time::{Duration, Instant};

use cowork_docs::read::{ReadOptions, read};
use cowork_docs::report::ReportSpec;

fn report() -> ReportSpec {
    cowork_docs::spec::parse(&serde_json::json!({
        "title": "Robustness",
        "markdown": "# Heading\n\nSome **bold** text.\n\n- a\n- b\n\n| x | y |\n|--|--|\n| 1 | 2 |\n"
    }))
    .unwrap()
}

fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let sheet = cowork_docs::spec::parse(&serde_json::json!({
        "sheets": [{"name": "S", "columns": [{"header": "A"}, {"header": "B", "type": "date"}],
                    "rows": [[1, "2026-01-02"], ["=A2*2", null]]}]
    }))
    .unwrap();
    let deck = cowork_docs::spec::parse(&serde_json::json!({
        "slides": [{"layout": "title", "title": "T"},
                   {"title": "B", "bullets": ["one", "two", {"text": "x", "level": 1}], "notes": "n"}]
    }))
    .unwrap();
    #[cfg_attr(not(feature = "pdf"), allow(unused_mut))]
    let mut samples = vec![
        ("s.xlsx", cowork_docs::xlsx::write(&sheet).unwrap()),
        ("s.csv", cowork_docs::xlsx::write_csv(&sheet, None).unwrap()),
        (
            "d.docx",
            cowork_docs::docx::write(&report(), &cowork_docs::NoAssets).unwrap(),
        ),
        (
            "p.pptx",
            cowork_docs::pptx::write(&deck, &cowork_docs::NoAssets).unwrap(),
        ),
    ];
    #[cfg(feature = "pdf")]
    samples.push((
        "r.pdf",
        cowork_docs::pdf::write(&report(), &cowork_docs::NoAssets).unwrap(),
    ));
    samples
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

fn mutations(bytes: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for k in 1..=24 {
        out.push(bytes[..bytes.len() * k / 25].to_vec());
    }
    for _ in 0..120 {
        let mut m = bytes.to_vec();
        for _ in 0..=rng.below(8) {
            let at = rng.below(m.len());
            m[at] = u8::try_from(rng.next() & 0xff).unwrap();
        }
        out.push(m);
    }
    for _ in 0..20 {
        // A slice of the file repeated over another part.
        let mut m = bytes.to_vec();
        let (from, to) = (rng.below(m.len()), rng.below(m.len()));
        let len = rng.below(256).min(m.len() - from).min(m.len() - to);
        let chunk = m[from..from + len].to_vec();
        m[to..to + len].copy_from_slice(&chunk);
        out.push(m);
    }
    out
}

#[test]
fn damaged_documents_never_panic_or_hang_the_readers() {
    let options = ReadOptions::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (name, bytes) in samples() {
        read(name, &bytes, &options).unwrap_or_else(|e| panic!("{name} unreadable: {e}"));
        let mut errors = 0;
        for (i, damaged) in mutations(&bytes, &mut rng).into_iter().enumerate() {
            let start = Instant::now();
            let result = std::panic::catch_unwind(|| read(name, &damaged, &options));
            assert!(result.is_ok(), "{name} mutation {i} panicked");
            errors += usize::from(result.is_ok_and(|r| r.is_err()));
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name} mutation {i} took {:?}",
                start.elapsed()
            );
        }
        // Any bytes are some CSV; every other format has structure to break.
        if !name.ends_with(".csv") {
            assert!(
                errors > 0,
                "{name}: no mutation was ever reported as damaged"
            );
        }
    }
}

#[test]
fn crashers_found_by_fuzzing_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let options = ReadOptions::default();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        // Files are named `<anything>.<format extension>`.
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let result = std::panic::catch_unwind(|| read(&name, &bytes, &options));
        assert!(result.is_ok(), "{} panics again", path.display());
    }
}

#[test]
fn a_document_without_text_says_so_instead_of_answering_nothing() {
    let empty: ReportSpec = cowork_docs::spec::parse(&serde_json::json!({"markdown": ""})).unwrap();
    let bytes = cowork_docs::docx::write(&empty, &cowork_docs::NoAssets).unwrap();
    let text = read("empty.docx", &bytes, &ReadOptions::default()).unwrap();
    assert_eq!(text, "(the document holds no text)");
}
