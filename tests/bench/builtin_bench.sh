#!/usr/bin/env bash
# The builtin planner's pipeline on a large CSV, each step in the gdp-runtime image with the
# sandbox's default limits (4 GB, 2 CPUs, no network, read-only root): wall time and the Python
# process's peak resident memory per step. Under flock, since the machine is shared.
#
# Usage: tests/bench/builtin_bench.sh [BUILD_DIR]   (GDP_BENCH_MB=1024, GDP_BENCH_DIR=/tmp/gdp-bench)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build}
mb=${GDP_BENCH_MB:-1024}
dir=${GDP_BENCH_DIR:-/tmp/gdp-bench}
mkdir -p "$dir"
g++ -O2 -std=c++20 -o "$dir/gen_data" "$repo/tests/bench/gen_data.cpp"
input=$dir/mixed-$mb.csv
[ -s "$input" ] || { echo "generating $input"; "$dir/gen_data" mixed "$mb" 42 >"$input"; }

run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/scripts" "$run/work" "$run/output"
chmod 777 "$run/work" "$run/output"
"$build/tests/gdp_builtin_driver" "$input" "$run/scripts"
for script in "$run"/scripts/*.py; do
  # Reports the peak resident memory at the end (the step's own code stays as it is).
  printf '\nimport resource\nsay("peak resident memory: %%.0f MiB" %% (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))\n' >>"$script"
  chmod 644 "$script"
  name=$(basename "$script" .py)
  start=$(date +%s.%N)
  flock /tmp/gdp-bench.lock docker run --rm --name "gdp-builtin-bench-$$-$name" --network none --memory 4g \
    --memory-swap 4g --cpus 2 --read-only --tmpfs /tmp:size=1g -e MPLCONFIGDIR=/tmp --user 10001 \
    -v "$input:/data/input/$(basename "$input"):ro" -v "$run/work:/data/work" -v "$run/output:/data/output" \
    -v "$script:/data/script/step.py:ro" gdp-runtime python3 -u /data/script/step.py | tail -n 3
  printf '%-14s %8.0f s\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
done
