//! Telling binary files from text by their first bytes.

/// How many leading bytes decide whether a file is binary.
pub(crate) const SNIFF_LEN: usize = 8192;

/// Known formats by their magic bytes: (offset, magic, description).
const MAGIC: &[(usize, &[u8], &str)] = &[
    (0, b"%PDF-", "PDF document"),
    (
        0,
        b"PK\x03\x04",
        "ZIP archive (Office documents such as .docx, .xlsx and .pptx are ZIP archives too)",
    ),
    (0, b"PK\x05\x06", "ZIP archive (empty)"),
    (
        0,
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "legacy Microsoft Office document (.doc, .xls or .ppt)",
    ),
    (0, b"\x89PNG\r\n\x1A\n", "PNG image"),
    (0, b"\xFF\xD8\xFF", "JPEG image"),
    (0, b"GIF87a", "GIF image"),
    (0, b"GIF89a", "GIF image"),
    (0, b"II*\x00", "TIFF image"),
    (0, b"MM\x00*", "TIFF image"),
    (8, b"WEBP", "WebP image"),
    (4, b"ftypheic", "HEIC image"),
    (4, b"ftyp", "MP4/QuickTime media"),
    (8, b"WAVE", "WAV audio"),
    (0, b"ID3", "MP3 audio"),
    (0, b"OggS", "Ogg media"),
    (0, b"fLaC", "FLAC audio"),
    (0, b"\x7FELF", "ELF executable"),
    (0, b"MZ", "Windows executable"),
    (0, b"\xCF\xFA\xED\xFE", "Mach-O executable"),
    (0, b"\x00asm", "WebAssembly module"),
    (0, b"\x1F\x8B", "gzip archive"),
    (0, b"BZh", "bzip2 archive"),
    (0, b"\xFD7zXZ\x00", "xz archive"),
    (0, b"\x28\xB5\x2F\xFD", "zstd archive"),
    (0, b"7z\xBC\xAF\x27\x1C", "7-Zip archive"),
    (0, b"Rar!\x1A\x07", "RAR archive"),
    (0, b"SQLite format 3\x00", "SQLite database"),
    (0, b"wOFF", "WOFF font"),
    (0, b"wOF2", "WOFF2 font"),
];

/// What kind of binary file `head` (the first bytes) starts, or `None` if
/// it looks like text.
pub(crate) fn binary_kind(head: &[u8]) -> Option<&'static str> {
    for (offset, magic, description) in MAGIC {
        if head.get(*offset..offset + magic.len()) == Some(magic) {
            // Short printable magics ("MZ", "ID3", "BZh") also start plain
            // words; require the rest to look binary too.
            let wordlike = magic.len() < 4 && magic.iter().all(u8::is_ascii_alphanumeric);
            if !wordlike || head.contains(&0) {
                return Some(description);
            }
        }
    }
    head.contains(&0).then_some("binary data")
}
