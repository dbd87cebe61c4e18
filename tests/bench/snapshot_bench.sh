#!/usr/bin/env bash
# Snapshot speed and memory, through the real gdp and gdpd, next to the anchors (the tools a user
# would otherwise use) measured on the same files in the same run. Warm page cache.
#
# Usage: tests/bench/snapshot_bench.sh [BUILD_DIR]     (GDP_BENCH_MB=1024, GDP_BENCH_DIR=/tmp/gdp-bench)
# Targets (issue 3): mixed CSV <= 0.6 s and >= 5x faster than DuckDB; quoted CSV <= 1.0 s;
# NDJSON <= 1.0 s; gdpd's resident memory grows by <= 64 MiB during any of them.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build}
mb=${GDP_BENCH_MB:-1024}
dir=${GDP_BENCH_DIR:-/tmp/gdp-bench}
anchors=${GDP_ANCHORS:-$repo/../shared/bench/anchors.sh}
mkdir -p "$dir"

g++ -O2 -std=c++20 -o "$dir/gen_data" "$repo/tests/bench/gen_data.cpp"
for kind in mixed quoted ndjson; do
  ext=csv; [ "$kind" = ndjson ] && ext=ndjson
  f=$dir/$kind-$mb.$ext
  [ -s "$f" ] || { echo "generating $f"; "$dir/gen_data" "$kind" "$mb" 42 >"$f"; }
done

run=$(mktemp -d)
GDPD_DUMPABLE=1 "$build/daemon/gdpd" --foreground --socket "$run/s/gdpd.sock" --state-dir "$run/state" --log-level warn \
  --max-input-bytes $((4 << 30)) 2>"$run/gdpd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$run"' EXIT
for _ in $(seq 100); do [ -S "$run/s/gdpd.sock" ] && break; sleep 0.05; done
gdp=("$build/client/gdp" --socket "$run/s/gdpd.sock")

kb() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }
printf '%-26s %10s %10s %14s %12s\n' "input" "gdp (s)" "target (s)" "gdpd +RSS (MB)" "rows"
for kind in mixed quoted ndjson; do
  target=1.0; [ "$kind" = mixed ] && target=0.6
  ext=csv; [ "$kind" = ndjson ] && ext=ndjson
  f=$dir/$kind-$mb.$ext
  cat "$f" >/dev/null
  "${gdp[@]}" --json snapshot "$f" --seed 1 >/dev/null  # warm the daemon too
  best=999
  for _ in 1 2 3; do
    echo 5 >"/proc/$pid/clear_refs"  # reset the peak-RSS counter (VmHWM) to the current RSS
    base=$(kb VmRSS)
    start=$(date +%s.%N)
    "${gdp[@]}" --json snapshot "$f" --seed 1 >"$run/out.json"
    t=$(echo "$(date +%s.%N) - $start" | bc)
    rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_rows"])' "$run/out.json")
    peak=$(kb VmHWM)
    best=$(echo "if ($t < $best) $t else $best" | bc)
    grow=$(( (peak - base) / 1024 ))
  done
  printf '%-26s %10.3f %10s %14s %12s\n' "$(basename "$f")" "$best" "$target" "$grow" "$rows"
done
echo
echo "anchors on $(basename "$dir/mixed-$mb.csv") (tool, wall s, peak RSS KB):"
if [ -x "$anchors" ] || [ -f "$anchors" ]; then
  bash "$anchors" "$dir/mixed-$mb.csv"
  echo "anchors on $(basename "$dir/quoted-$mb.csv"):"
  bash "$anchors" "$dir/quoted-$mb.csv" wc shuf duckdb
else
  echo "(anchors.sh not found at $anchors; set GDP_ANCHORS)"
fi
