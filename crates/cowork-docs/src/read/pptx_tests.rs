use super::*;

#[test]
fn ole_files_are_encrypted_unless_they_are_legacy_ppt() {
    let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    assert!(matches!(
        read(&encrypted, &ReadOptions::default()),
        Err(DocsError::Encrypted { format: "PPTX" })
    ));
    let mut legacy = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    legacy.extend(
        "PowerPoint Document"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    assert!(matches!(
        read(&legacy, &ReadOptions::default()),
        Err(DocsError::Unsupported { .. })
    ));
}

#[test]
fn garbage_is_corrupt() {
    for bytes in [&b""[..], b"PK\x03\x04 not really", b"hello world"] {
        assert!(matches!(
            read(bytes, &ReadOptions::default()),
            Err(DocsError::Corrupt { format: "PPTX", .. })
        ));
    }
}

#[test]
fn shapes_give_bullets_by_level_tables_and_pictures() {
    let xml = r#"<p:sld xmlns:a="a" xmlns:p="p"><p:cSld><p:spTree>
<p:sp><p:nvSpPr><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Plan &amp; goals</a:t></a:r></a:p></p:txBody></p:sp>
<p:sp><p:nvSpPr><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr><p:txBody><a:lstStyle><a:lvl1pPr><a:buNone/></a:lvl1pPr></a:lstStyle>
<a:p><a:r><a:t>One</a:t></a:r></a:p><a:p><a:pPr lvl="1"/><a:r><a:t>Two</a:t></a:r></a:p>
<a:p><a:pPr><a:buNone/></a:pPr><a:r><a:t>Plain</a:t></a:r></a:p></p:txBody></p:sp>
<p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr><a:tc><a:txBody><a:p><a:r><a:t>A|B</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>C</a:t></a:r></a:p></a:txBody></a:tc></a:tr>
<a:tr><a:tc><a:txBody><a:p><a:r><a:t>1</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p/></a:txBody></a:tc></a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>
<p:pic><p:nvPicPr><p:cNvPr id="5" name="Picture" descr="A map"/></p:nvPicPr></p:pic>
</p:spTree></p:cSld></p:sld>"#;
    let shapes = shapes(xml).unwrap();
    assert_eq!(shapes.len(), 4);
    assert!(shapes[0].is_title());
    assert_eq!(shapes[0].plain_text(" "), "Plan & goals");
    assert_eq!(shapes[1].markdown(), "- One\n  - Two\n\nPlain");
    assert_eq!(
        shapes[2].markdown(),
        "| A\\|B | C |\n| --- | --- |\n| 1 |  |"
    );
    assert_eq!(shapes[3].markdown(), "[Picture: A map]");
}
