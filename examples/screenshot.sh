#!/usr/bin/env bash
# Renders the HTML report of the example batch in headless Chromium (Debian's `chromium`)
# at phone and desktop widths, and prints it to PDF, to look at what a person sees.
#
#   bash examples/screenshot.sh [OUT_DIR]      (default: ./report-shots)
set -euo pipefail
out="${1:-report-shots}"
mkdir -p "$out"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
    echo "screenshot.sh: no chromium found (Debian: apt-get install chromium)" >&2
    exit 1
fi
cargo run --release --quiet -- assign --leads examples/leads.csv --reps examples/reps.csv \
    --history examples/history.csv --config examples/leadroute.toml \
    --out "$out/assignments.csv" --html "$out/report.html" --quiet
page="file://$(cd "$out" && pwd)/report.html"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --run-all-compositor-stages-before-draw)
"$browser" "${flags[@]}" --window-size=1280,2400 --screenshot="$out/desktop.png" "$page" 2>/dev/null
"$browser" "${flags[@]}" --window-size=390,2400 --screenshot="$out/phone.png" "$page" 2>/dev/null
"$browser" "${flags[@]}" --print-to-pdf="$out/report.pdf" --no-pdf-header-footer "$page" 2>/dev/null
echo "wrote $out/desktop.png, $out/phone.png, $out/report.pdf"
