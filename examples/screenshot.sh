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
"$browser" "${flags[@]}" --window-size=1400,2400 --screenshot="$out/desktop.png" "$page" 2>/dev/null
# Headless Chromium lays a window out at least 500 px wide; a 400 px phone is shown through
# a 400 px frame instead.
cat > "$out/phone.html" <<HTML
<!DOCTYPE html><html><body style="margin:0"><iframe src="report.html" style="width:400px;height:2400px;border:0"></iframe></body></html>
HTML
"$browser" "${flags[@]}" --window-size=500,2400 --screenshot="$out/phone.png" "file://$(cd "$out" && pwd)/phone.html" 2>/dev/null
"$browser" "${flags[@]}" --print-to-pdf="$out/report.pdf" --no-pdf-header-footer "$page" 2>/dev/null
echo "wrote $out/desktop.png, $out/phone.png, $out/report.pdf"
