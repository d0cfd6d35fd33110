#!/usr/bin/env bash
# Renders every sample in this folder with `cowork docs render`, opens the
# Office files in LibreOffice (headless) as a reviewer would, and keeps a
# small PNG of the first pages in snapshots/ so changes to the look show up
# in review. Needs soffice and pdftoppm (poppler-utils).
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cowork() { cargo run -q --manifest-path ../../Cargo.toml -p cowork-cli -- "$@"; }
cowork docs render expense-report.json -o "$out/expense-report.xlsx"
cowork docs render board-memo.json -o "$out/board-memo.docx"
cowork docs render deck.json -o "$out/deck.pptx"
cowork docs render pdf-report.json -o "$out/pdf-report.pdf"
for kind in bar column line area pie scatter; do
    cowork docs render "charts/$kind.json" -o "$out/chart-$kind.png"
done
soffice -env:UserInstallation="file://$out/profile" --headless --convert-to pdf \
    --outdir "$out" "$out/expense-report.xlsx" "$out/board-memo.docx" "$out/deck.pptx" >/dev/null
mkdir -p snapshots
rm -f snapshots/*.png
pdftoppm -png -r 60 -f 1 -l 1 "$out/expense-report.pdf" snapshots/expense-report
pdftoppm -png -r 30 -f 1 -l 3 "$out/board-memo.pdf" snapshots/board-memo
pdftoppm -png -r 24 -f 1 -l 10 "$out/deck.pdf" snapshots/deck
pdftoppm -png -r 30 -f 1 -l 3 "$out/pdf-report.pdf" snapshots/pdf-report
for kind in bar column line area pie scatter; do
    # Charts are PNGs already; keep a half-size copy.
    python3 -c "
import sys
from PIL import Image
im = Image.open(sys.argv[1]); im.thumbnail((400, 400)); im.save(sys.argv[2], optimize=True)
" "$out/chart-$kind.png" "snapshots/chart-$kind.png" 2>/dev/null || cp "$out/chart-$kind.png" "snapshots/chart-$kind.png"
done
du -ch snapshots/*.png | tail -1
