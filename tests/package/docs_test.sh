#!/usr/bin/env bash
# The manual pages: every command the gdp binary knows has its own section in gdp(1), and each
# page formats without a warning from man or groff and has a NAME line lexgrog can read (what
# mandb and apropos use).
# Usage: docs_test.sh GDP MAN_DIR   (MAN_DIR: the configured pages, build/doc)
set -euo pipefail
gdp=$1 man_dir=$2
. "$(dirname "$0")/commands.sh"
fail() { echo "FAIL: $*"; exit 1; }
for tool in man:man-db lexgrog:man-db groff:groff-base; do
  command -v "${tool%%:*}" >/dev/null || fail "${tool%%:*} is not installed (apt-get install ${tool#*:})"
done

commands=$(gdp_commands "$gdp")
# A parser that found nothing would let every check below pass.
[ "$(wc -l <<<"$commands")" -ge 10 ] || fail "read too few commands from gdp --help: $commands"
documented=$(sed -n 's/^\.SS //p' "$man_dir/gdp.1")
for c in $commands; do
  grep -qxF -- "$c" <<<"$documented" || fail "gdp $c is not documented in gdp.1 (no .SS $c)"
done
echo "PASS: gdp.1 documents all $(wc -l <<<"$commands") commands of gdp --help"

for page in gdp.1 gdpd.8 gdp-config.5; do
  file=$man_dir/$page
  [ -f "$file" ] || fail "$file is missing"
  # man's --warnings turns on groff's warnings; they go to stderr with the page sent to /dev/null.
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$file" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man reports for $page: $warnings"
  lexgrog "$file" >/dev/null || fail "lexgrog cannot read the NAME section of $page"
  grep -q '@[A-Z_]*@' "$file" && fail "$page still holds a @VARIABLE@ placeholder"
  echo "PASS: $page formats without warnings and has a NAME section"
done
