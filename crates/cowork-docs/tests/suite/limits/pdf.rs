//! PDFs whose cross-reference streams or Flate streams declare too much.

use cowork_docs::DocsError;
use cowork_docs::read::{ReadOptions, read};

use super::in_bounded_child;

/// lopdf allocates a buffer per field width a cross-reference stream
/// declares: `/W [9999999999 0 0]` was a 10 GB allocation.
#[test]
fn a_pdf_cross_reference_stream_with_absurd_field_widths_is_refused() {
    in_bounded_child(
        module_path!(),
        "a_pdf_cross_reference_stream_with_absurd_field_widths_is_refused",
        || {
            let pdf = b"%PDF-1.5\n1 0 obj\n<< /Type /XRef /Size 1 /W [9999999999 0 0] /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n";
            let err = read("xref.pdf", pdf, &ReadOptions::default()).unwrap_err();
            assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
            assert!(
                err.to_string().contains("9,999,999,999 bytes wide"),
                "{err}"
            );
        },
    );
}

/// Deflate data (zlib-wrapped) that inflates to `1 + 258 × copies` zero
/// bytes: one literal, then back-references of the longest length, 13
/// bits each in a fixed-Huffman block.
fn flate_bomb(copies: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, bits: u32) {
            self.acc |= value << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, which deflate packs from its top bit.
        fn code(&mut self, code: u64, bits: u32) {
            let reversed = (0..bits).fold(0, |r, i| r | ((code >> i) & 1) << (bits - 1 - i));
            self.put(reversed, bits);
        }
    }
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..copies {
        bits.code(0xC5, 8); // length 258
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7);
    bits.out.extend([0; 4]); // adler32, never reached
    bits.out
}

#[test]
fn a_pdf_stream_inflating_past_the_limit_is_refused_before_lopdf_inflates_it() {
    in_bounded_child(
        module_path!(),
        "a_pdf_stream_inflating_past_the_limit_is_refused_before_lopdf_inflates_it",
        || {
            let bomb = flate_bomb(600_000);
            let mut pdf = format!(
                "%PDF-1.5\n1 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
                bomb.len()
            )
            .into_bytes();
            pdf.extend(&bomb);
            pdf.extend(b"\nendstream\nendobj\n%%EOF\n");
            assert!(pdf.len() < 1_100_000, "{}", pdf.len());
            let err = read("bomb.pdf", &pdf, &ReadOptions::default()).unwrap_err();
            assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
            assert!(
                err.to_string().contains("inflates to more than 64 MiB"),
                "{err}"
            );
        },
    );
}
