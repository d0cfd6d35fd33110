#!/usr/bin/env bash
# Seeds the corpus with the sample documents of examples/docs, each
# prefixed with the byte that makes the target read it as its format.
set -euo pipefail
cd "$(dirname "$0")"
root=../../..
out=$(mktemp -d)
cowork="cargo run -q --manifest-path $root/Cargo.toml -p cowork-cli --"
$cowork docs render $root/examples/docs/expense-report.json -o "$out/s.xlsx"
$cowork docs render $root/examples/docs/expense-report.json -o "$out/s.csv"
$cowork docs render $root/examples/docs/board-memo.json -o "$out/d.docx"
$cowork docs render $root/examples/docs/deck.json -o "$out/p.pptx"
mkdir -p corpus/read
for pair in 0:s.xlsx 2:s.csv 3:d.docx 4:p.pptx; do
    byte=${pair%%:*}; file=${pair#*:}
    { printf "\\x0$byte"; cat "$out/$file"; } > "corpus/read/seed-$file"
done
if command -v soffice >/dev/null; then
    soffice --headless --convert-to ods --outdir "$out" "$out/s.xlsx" >/dev/null 2>&1 &&
        { printf '\x01'; cat "$out/s.ods"; } > corpus/read/seed-s.ods
fi
rm -rf "$out"
ls -la corpus/read
