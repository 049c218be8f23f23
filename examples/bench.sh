#!/usr/bin/env bash
# Times the main jobs on generated worlds: train, score, assign at 100k x 200 and 1M x 1,000.
# Each is run RUNS times (default 3); prints the median wall time and the largest peak
# memory (from /usr/bin/time -v) per job, as a Markdown table.
#
#   bash examples/bench.sh [WORK_DIR]        (default: a temporary folder, removed after)
set -euo pipefail
runs="${RUNS:-3}"
work="${1:-}"
if [ -z "$work" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/leadroute"
[ -x /usr/bin/time ] || { echo "bench.sh: needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }

q() { "$bin" --quiet "$@"; }
# 100k history rows with 30 lead columns (13 generated + 17 noise) for training.
q generate --out "$work/train30" --seed 21 --leads 10 --reps 50 --history 100000 --noise-features 17
q generate --out "$work/w100k" --seed 5 --leads 100000 --reps 200 --history 100000
q generate --out "$work/w1m" --seed 6 --leads 1000000 --reps 1000 --history 100000
q train --history "$work/w100k/history.csv" --config "$work/w100k/leadroute.toml" --model "$work/w100k/model.json"
q train --history "$work/w1m/history.csv" --config "$work/w1m/leadroute.toml" --model "$work/w1m/model.json"

measure() { # name, then the command
    local name="$1"; shift
    local times=() peak=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -v -o "$work/time.txt" "$@" > /dev/null 2>&1
        times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")")
        local kb
        kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")"
        [ "$kb" -gt "$peak" ] && peak="$kb"
    done
    local median
    median="$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
    printf '| %s | %s s | %s MB | %s |\n' "$name" "$median" "$((peak / 1024))" "$(printf '%s ' "${times[@]}")"
}

echo "| job | median wall time | peak memory | runs (s) |"
echo "| --- | ---: | ---: | --- |"
measure "train: 100k history rows x 30 columns (model + rep skill)" \
    "$bin" --quiet train --history "$work/train30/history.csv" --config "$work/train30/leadroute.toml" --model "$work/m30.json"
measure "score: 1M leads (with top factors)" \
    "$bin" --quiet score --leads "$work/w1m/leads.csv" --model "$work/w1m/model.json" --config "$work/w1m/leadroute.toml" --out "$work/s.csv"
measure "assign: 100k leads x 200 reps (score + optimize + CSV + summary)" \
    "$bin" --quiet assign --leads "$work/w100k/leads.csv" --reps "$work/w100k/reps.csv" --model "$work/w100k/model.json" \
    --config "$work/w100k/leadroute.toml" --out "$work/a100k.csv" --summary-json "$work/a100k.json"
measure "assign: 1M leads x 1,000 reps (score + optimize + CSV + summary)" \
    "$bin" --quiet assign --leads "$work/w1m/leads.csv" --reps "$work/w1m/reps.csv" --model "$work/w1m/model.json" \
    --config "$work/w1m/leadroute.toml" --out "$work/a1m.csv" --summary-json "$work/a1m.json"
"$bin" -v assign --leads "$work/w1m/leads.csv" --reps "$work/w1m/reps.csv" --model "$work/w1m/model.json" \
    --config "$work/w1m/leadroute.toml" --out "$work/a1m.csv" 2>&1 | sed 's/^/    /'
