#!/usr/bin/env bash
# What calendars cost: `assign` on one batch of 1M leads x 1,000 reps with calendars (time
# zones, working hours, absences, the decay of p_win with waiting) and blind to them (the
# same files without the calendar columns and the [timing] and [availability] sections) —
# once as they are, and once with the reps the calendars keep away for the whole horizon
# marked inactive (the same reps at work: what the calendar machinery itself costs) —
# alternately, RUNS times each (default 3). Prints the median wall time and the largest peak
# memory of each, the ratios, and one --verbose run of each (stage timings).
#
#   bash examples/bench_time.sh [WORK_DIR] [LEADS] [REPS]   (default: a temporary folder, 1000000, 1000)
set -euo pipefail
runs="${RUNS:-3}"
work="${1:-}"
leads="${2:-1000000}"
reps="${3:-1000}"
if [ -z "$work" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/leadroute"
[ -x /usr/bin/time ] || { echo "bench_time.sh: needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }

w="$work/cal"
if [ ! -f "$w/model.json" ]; then
    "$bin" --quiet generate --out "$w" --seed 5 --leads "$leads" --reps "$reps" --history 20000 --calendars
    "$bin" --quiet train --history "$w/history.csv" --config "$w/leadroute.toml" --model "$w/model.json"
fi
# Blind to time: the reps without time_zone and working_hours, the config without [timing]
# and [availability].
cut -d, -f1-8 "$w/reps.csv" > "$w/blind_reps.csv"
sed '/^\[timing\]/,$d' "$w/leadroute.toml" > "$w/blind.toml"
# The reps away for the whole horizon, as the time-aware summary lists them, made inactive.
"$bin" --quiet assign --leads "$w/leads.csv" --reps "$w/reps.csv" --model "$w/model.json" \
    --config "$w/leadroute.toml" --at 2026-11-30T08:00:00Z --out "$work/prep.csv" --summary-json "$work/prep.json"
away="$(tr -d '\n ' < "$work/prep.json" | sed 's/.*"away_for_horizon":\[\([^]]*\)\].*/\1/' | tr -d '"')"
awk -F, -v OFS=, -v away="$away" 'BEGIN {n = split(away, a, ","); for (i = 1; i <= n; i++) gone[a[i]] = 1}
    NR > 1 && ($1 in gone) {$7 = "false"} {print}' "$w/blind_reps.csv" > "$w/blind_same_reps.csv"

timed=("$bin" --quiet assign --leads "$w/leads.csv" --reps "$w/reps.csv" --model "$w/model.json"
    --config "$w/leadroute.toml" --at 2026-11-30T08:00:00Z --out "$work/timed.csv")
blind=("$bin" --quiet assign --leads "$w/leads.csv" --reps "$w/blind_reps.csv" --model "$w/model.json"
    --config "$w/blind.toml" --out "$work/blind.csv")
same=("$bin" --quiet assign --leads "$w/leads.csv" --reps "$w/blind_same_reps.csv" --model "$w/model.json"
    --config "$w/blind.toml" --out "$work/same.csv")

one() { # prints "seconds kilobytes"
    /usr/bin/time -v -o "$work/time.txt" "$@" > /dev/null 2>&1
    awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; t=s}
                /Maximum resident set size/ {m=$2} END {print t, m}' "$work/time.txt"
}
t_times=(); b_times=(); s_times=(); t_peak=0; b_peak=0; s_peak=0
for _ in $(seq "$runs"); do
    read -r s kb < <(one "${blind[@]}"); b_times+=("$s"); [ "$kb" -gt "$b_peak" ] && b_peak="$kb"
    read -r s kb < <(one "${same[@]}"); s_times+=("$s"); [ "$kb" -gt "$s_peak" ] && s_peak="$kb"
    read -r s kb < <(one "${timed[@]}"); t_times+=("$s"); [ "$kb" -gt "$t_peak" ] && t_peak="$kb"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bm="$(median "${b_times[@]}")"; sm="$(median "${s_times[@]}")"; tm="$(median "${t_times[@]}")"
echo "| assign $leads x $reps | median wall time | peak memory | runs (s) |"
echo "| --- | ---: | ---: | --- |"
printf '| blind to time | %s s | %s MB | %s |\n' "$bm" "$((b_peak / 1024))" "${b_times[*]}"
printf '| blind to time, the reps away for the horizon inactive | %s s | %s MB | %s |\n' "$sm" "$((s_peak / 1024))" "${s_times[*]}"
printf '| with calendars | %s s | %s MB | %s |\n' "$tm" "$((t_peak / 1024))" "${t_times[*]}"
awk -v t="$tm" -v b="$bm" -v s="$sm" 'BEGIN {printf "\nwith calendars / blind: %.2f; / blind with the same reps at work: %.2f\n", t / b, t / s}'
echo
"${blind[@]/--quiet/-v}" 2>&1 | sed 's/^/    blind: /'
"${same[@]/--quiet/-v}" 2>&1 | sed 's/^/    same reps: /'
"${timed[@]/--quiet/-v}" 2>&1 | sed 's/^/    timed: /'
