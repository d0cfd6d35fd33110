//! Any bytes, read as one of the formats (picked by the first byte): the
//! readers must return, never panic or hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

// Not .xls: calamine's CFB parser panics on malformed sector chains (found
// here; tests/fuzz-regressions/calamine-cfb-sector-index.xls). The reader
// catches that, but cargo-fuzz builds with panic=abort, so every run would
// stop at the same known panic.
const NAMES: [&str; 5] = ["f.xlsx", "f.ods", "f.csv", "f.docx", "f.pptx"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let _ = cowork_docs::read::read(name, bytes, &cowork_docs::read::ReadOptions::default());
});
