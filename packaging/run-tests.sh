#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: set-up (packages, build, install, Docker
# Engine, runtime image), then the suite under ASan+UBSan, the libFuzzer target for a bounded time,
# and last the suite on the release build, so ctest's summary is the final thing printed.
#
# Usage: packaging/run-tests.sh            (GDP_FUZZ_SECONDS=60 by default)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
say() { printf '==> %s\n' "$*"; }

bash packaging/setup.sh --no-example

say "ASan+UBSan build and suite"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGDP_SANITIZE=ON -DGDP_WERROR=ON >/dev/null
cmake --build build-asan
# The image check runs no project code, so the sanitizer pass skips it.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -j2 --output-on-failure -LE docker)

say "libFuzzer: frame reader, request parser, CSV scanner, JSON reader; ${GDP_FUZZ_SECONDS:-45} s each"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DGDP_FUZZ=ON -DGDP_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target gdp_frame_fuzzer gdp_csv_fuzzer gdp_json_reader_fuzzer gdp_privacy_fuzzer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/frames"
# Frame seeds: every golden message as one line, behind the byte that picks the read size.
for f in proto-schema/examples/*.json; do
  { printf 'A'; python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' "$f"; } \
    >"$work/frames/$(basename "$f")"
done
fuzz() {  # name, seed directories...
  local name=$1; shift
  mkdir -p "$work/$name"
  if ! "build-fuzz/gdp_${name}_fuzzer" -max_total_time="${GDP_FUZZ_SECONDS:-45}" -max_len=16384 \
       -artifact_prefix="$work/$name-" "$work/$name" "$@" >"$work/$name.log" 2>&1; then
    tail -n 40 "$work/$name.log"
    echo "libFuzzer found a failing input for $name (see above)" >&2
    exit 1
  fi
  echo "$name: $(grep -E '^Done ' "$work/$name.log")"
}
fuzz frame "$work/frames" tests/data/jsontestsuite/test_parsing
fuzz csv tests/data/csv-spectrum/csvs examples
fuzz json_reader tests/data/jsontestsuite/test_parsing proto-schema/examples
fuzz privacy tests/data/privacy-seeds

say "release build suite"
cd build && ctest -j2 --output-on-failure
