use super::*;

/// A one-page PDF whose page shows `text` in Helvetica, with a correct
/// cross-reference table.
fn minimal_pdf(text: &str) -> Vec<u8> {
    pdf_with(text, &[], "")
}

/// [`minimal_pdf`] with `extra` objects (numbered from 6) and `trailer`
/// entries added.
fn pdf_with(text: &str, extra: &[&str], trailer: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ]
    .into_iter()
    .chain(extra.iter().map(|o| (*o).to_owned()))
    .collect::<Vec<_>>();
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn a_minimal_pdf_reads_as_one_page() {
    let text = read(&minimal_pdf("Hello PDF"), &ReadOptions::default()).unwrap();
    assert!(text.starts_with("## Page 1\n\n"), "{text}");
    assert!(text.contains("Hello PDF"), "{text}");
}

#[test]
fn a_file_without_a_pdf_header_is_not_a_pdf() {
    let err = read(b"PK\x03\x04 a zip", &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, DocsError::Corrupt { format: "PDF", .. }),
        "{err}"
    );
}

#[test]
fn truncated_pdfs_are_corrupt_not_a_panic() {
    let pdf = minimal_pdf("Hello");
    for cut in [9, 40, pdf.len() / 2, pdf.len() - 30] {
        let result = read(&pdf[..cut], &ReadOptions::default());
        assert!(
            matches!(result, Err(DocsError::Corrupt { .. }) | Ok(_)),
            "cut at {cut}: {result:?}"
        );
    }
    let err = read(b"%PDF-1.7\n garbage", &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, DocsError::Corrupt { .. }), "{err}");
}

#[test]
fn the_text_is_capped_with_a_note() {
    let options = ReadOptions {
        max_chars: 15,
        ..ReadOptions::default()
    };
    let text = read(&minimal_pdf("A fairly long line of text"), &options).unwrap();
    assert!(text.starts_with("## Page 1\n\nA f"), "{text}");
    assert!(
        text.contains("[Stopped at 15 characters: page 1 of 1 is cut short.]"),
        "{text}"
    );
}

#[test]
fn tidy_squeezes_blank_lines_and_trailing_spaces() {
    assert_eq!(tidy("\n\na  \n\n\n\nb\nc \n\n"), "a\n\nb\nc");
}

#[test]
fn a_panic_inside_quietly_becomes_an_error() {
    let result: Result<(), String> = quietly(|| panic!("boom"));
    assert_eq!(result.unwrap_err(), "boom");
    assert_eq!(quietly(|| 7).unwrap(), 7);
}

#[test]
fn a_pdf_with_a_user_password_is_encrypted() {
    // RC4 40-bit (V1 R2) whose /U entry matches no password, the empty
    // one included.
    let encrypt = format!(
        "<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <{0}> /U <{0}> >>",
        "11".repeat(32)
    );
    let pdf = pdf_with(
        "Secret",
        &[&encrypt],
        "/Encrypt 6 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>]",
    );
    let err = read(&pdf, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, DocsError::Encrypted { format: "PDF" }),
        "{err}"
    );
}
