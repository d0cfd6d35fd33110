use super::*;

fn png_header(w: u32, h: u32, phys: Option<(u32, u32)>) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&w.to_be_bytes());
    png.extend_from_slice(&h.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&[0; 4]);
    if let Some((x, y)) = phys {
        png.extend_from_slice(&9u32.to_be_bytes());
        png.extend_from_slice(b"pHYs");
        png.extend_from_slice(&x.to_be_bytes());
        png.extend_from_slice(&y.to_be_bytes());
        png.push(1);
        png.extend_from_slice(&[0; 4]);
    }
    png.extend_from_slice(&0u32.to_be_bytes());
    png.extend_from_slice(b"IDAT");
    png
}

#[test]
fn png_size_and_density_come_from_the_header() {
    let info = probe(&png_header(800, 480, None)).unwrap();
    assert_eq!(
        (info.kind, info.width_px, info.height_px, info.dpi_x),
        (Kind::Png, 800, 480, 96)
    );
    let info = probe(&png_header(600, 300, Some((11_811, 11_811)))).unwrap();
    assert_eq!((info.dpi_x, info.dpi_y), (300, 300));
}

#[test]
fn jpeg_size_comes_from_the_frame_header() {
    let mut jpeg = vec![0xFF, 0xD8];
    // JFIF APP0 at 72 dpi.
    jpeg.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
    jpeg.extend_from_slice(b"JFIF\0");
    jpeg.extend_from_slice(&[1, 1, 1, 0, 72, 0, 72, 0, 0]);
    // A DQT segment to skip, then SOF2 (progressive).
    jpeg.extend_from_slice(&[0xFF, 0xDB, 0, 4, 0, 0]);
    jpeg.extend_from_slice(&[0xFF, 0xC2, 0, 11, 8, 0x01, 0x2C, 0x02, 0x58, 3, 0, 0, 0]);
    let info = probe(&jpeg).unwrap();
    assert_eq!(
        (info.kind, info.width_px, info.height_px, info.dpi_x),
        (Kind::Jpeg, 600, 300, 72)
    );
}

#[test]
fn broken_or_other_images_are_not_probed() {
    assert_eq!(probe(b"GIF89a...."), None);
    assert_eq!(probe(b"\x89PNG\r\n\x1a\n"), None);
    assert_eq!(probe(&png_header(0, 10, None)), None);
    assert_eq!(probe(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF]), None);
    assert_eq!(probe(&[0xFF, 0xD8, 0xFF, 0xD9]), None);
}

#[test]
fn pictures_shrink_to_the_text_area_keeping_their_aspect() {
    let info = Info {
        kind: Kind::Png,
        width_px: 800,
        height_px: 480,
        dpi_x: 96,
        dpi_y: 96,
    };
    // 800 px at 96 dpi is 8.33 in: wider than 6 in of text.
    let (cx, cy) = info.fit(6 * EMU_PER_INCH, 9 * EMU_PER_INCH);
    assert_eq!(cx, 6 * EMU_PER_INCH);
    assert_eq!(cy, 6 * EMU_PER_INCH * 480 / 800);
    // Small pictures keep their natural size.
    let small = Info {
        width_px: 96,
        height_px: 48,
        ..info
    };
    assert_eq!(
        small.fit(6 * EMU_PER_INCH, 9 * EMU_PER_INCH),
        (EMU_PER_INCH, EMU_PER_INCH / 2)
    );
    // Tall pictures are limited by height.
    let tall = Info {
        width_px: 100,
        height_px: 2000,
        ..info
    };
    let (cx, cy) = tall.fit(6 * EMU_PER_INCH, 9 * EMU_PER_INCH);
    assert_eq!(cy, 9 * EMU_PER_INCH);
    assert_eq!(cx, 9 * EMU_PER_INCH * 100 / 2000);
}
