//! Any bytes, read as one of the formats (picked by the first byte): the
//! readers must return, never panic or hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = ["f.xlsx", "f.xls", "f.ods", "f.csv", "f.docx", "f.pptx"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let _ = cowork_docs::read::read(name, bytes, &cowork_docs::read::ReadOptions::default());
});
