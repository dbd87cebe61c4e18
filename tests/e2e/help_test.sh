#!/usr/bin/env bash
# Every command gdp --help lists has a help of its own (gdp CMD --help and gdp help CMD, the
# same): on stdout, exit 0, with its usage, an example, and a description for every option. And
# the errors: on stderr with "error:" and a hint, nothing on stdout, the exit code documented.
# Usage: help_test.sh GDP
set -euo pipefail
gdp=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gdp" --help >"$dir/help" 2>"$dir/help.err" || fail "gdp --help exited $?"
[ -s "$dir/help.err" ] && fail "gdp --help wrote to stderr: $(cat "$dir/help.err")"
grep -q "^Exit status:" "$dir/help" || fail "gdp --help has no Exit status section"
for code in 0 1 2 3 4 5; do grep -q "^  $code  " "$dir/help" || fail "exit code $code is not documented"; done
grep -q -- "--color" "$dir/help" && grep -q -- "--no-pager" "$dir/help" ||
  fail "gdp --help does not describe --color and --no-pager"

# The command names: the indented words between "Commands:" and the next empty line.
commands=$(sed -n '/^Commands:/,/^$/p' "$dir/help" | awk 'NF && $1 != "Commands:" {print $1}')
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "gdp --help lists too few commands: $commands"
for cmd in $commands; do
  out="$dir/$cmd.help"
  "$gdp" "$cmd" --help >"$out" 2>"$dir/$cmd.err" || fail "gdp $cmd --help exited $?"
  [ -s "$dir/$cmd.err" ] && fail "gdp $cmd --help wrote to stderr: $(cat "$dir/$cmd.err")"
  grep -q "^Usage: gdp .*$cmd" "$out" || fail "gdp $cmd --help has no usage: $(cat "$out")"
  grep -q "^Example:" "$out" || fail "gdp $cmd --help has no example"
  grep -q "^  gdp .*$cmd" "$out" || fail "gdp $cmd --help's example does not run gdp $cmd"
  "$gdp" help "$cmd" | cmp -s - "$out" || fail "gdp help $cmd differs from gdp $cmd --help"
  # Options, as Boost prints them: "  --name [ VALUE ]   description"; one with nothing after its
  # name (or its value) has no description.
  if sed -n '/^Options:/,/^$/p' "$out" | grep -E '^  (-[a-z] \[ )?--[a-z-]+( [A-Z]+| arg)?$'; then
    fail "gdp $cmd --help has an option without a description"
  fi
  # Every option the usage line names is described.
  for opt in $(grep "^Usage:" "$out" | grep -oE -- '--[a-z-]+' | sort -u); do
    case $opt in --socket | --json) continue ;; esac
    sed -n '/^Options:/,/^$/p' "$out" | grep -qE -- "^  $opt( |$)" || fail "gdp $cmd --help does not describe $opt"
  done
  echo "PASS: gdp $cmd --help"
done

# Errors: stderr, "gdp: error:", a hint, the documented code, and stdout empty.
expect_error() {  # code, hint, command...
  local code=$1 hint=$2 rc=0
  shift 2
  "$gdp" "$@" >"$dir/out" 2>"$dir/err" || rc=$?
  [ "$rc" = "$code" ] || fail "gdp $* exited $rc, not $code"
  [ -s "$dir/out" ] && fail "gdp $* printed its error on stdout: $(cat "$dir/out")"
  grep -q "^gdp: error: " "$dir/err" || fail "gdp $* has no 'gdp: error:' line: $(cat "$dir/err")"
  grep -qF -- "$hint" "$dir/err" || fail "gdp $* gives no hint ($hint): $(cat "$dir/err")"
  echo "PASS: gdp $* fails with $code on stderr"
}
expect_error 2 "gdp --help" frobnicate
expect_error 2 "gdp --help" --no-such-option status
expect_error 2 "auto, always or never" --color=sometimes status
expect_error 2 "gdp --help" help frobnicate
expect_error 2 "gdp approve --help" approve SESSION --step notanumber
expect_error 2 "gdp status" approve
expect_error 3 "gdpd" --socket "$dir/none.sock" status
expect_error 3 "gdpd" --socket "$dir/none.sock" approve 20261127T101500Z_3fa9c2
# gdp alone is a usage error: the help goes to stderr, and under --json the error is the document.
rc=0
"$gdp" >"$dir/out" 2>"$dir/err" || rc=$?
[ "$rc" = 2 ] || fail "gdp alone exited $rc"
[ -s "$dir/out" ] && fail "gdp alone printed its help on stdout"
grep -q "^Usage: gdp" "$dir/err" || fail "gdp alone did not show the usage: $(cat "$dir/err")"
rc=0
"$gdp" --json >"$dir/out" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "gdp --json alone exited $rc"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["exit_code"] == 2' "$dir/out" ||
  fail "gdp --json alone: $(cat "$dir/out")"
# With --json the error is the one document on stdout, and the code the same.
rc=0
"$gdp" --json --socket "$dir/none.sock" status >"$dir/out" 2>"$dir/err" || rc=$?
[ "$rc" = 3 ] || fail "gdp --json status exited $rc without a daemon"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["exit_code"] == 3' "$dir/out" ||
  fail "gdp --json status: $(cat "$dir/out")"
# Colour is never on a pipe, unless asked for, and NO_COLOR does not beat --color=always.
# (The command fails on purpose: its output is kept and looked at apart from its exit code.)
"$gdp" frobnicate >"$dir/plain" 2>&1 || true
grep -q $'\e\[' "$dir/plain" && fail "an error was coloured on a pipe: $(cat -v "$dir/plain")"
NO_COLOR=1 "$gdp" --color=always frobnicate >"$dir/always" 2>&1 || true
grep -q $'\e\[' "$dir/always" || fail "--color=always did not colour: $(cat "$dir/always")"
echo "PASS: errors"
