#!/usr/bin/env bash
# The manual pages: every command the gdp binary knows has its own section in gdp(1); every option
# of `gdpd --help` is in gdpd(8) or, as a setting, in gdp-config(5), which names no setting gdpd
# does not know; and each page formats without a warning from man or groff and has a NAME line
# lexgrog can read (what mandb and apropos use).
# Usage: docs_test.sh GDP GDPD MAN_DIR   (MAN_DIR: the configured pages, build/doc)
set -euo pipefail
gdp=$1 gdpd=$2 man_dir=$3
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

# gdpd's options, without their dashes: "  --name arg  help" or "  -h [ --help ]  help".
options=$("$gdpd" --help | grep -oE '^  (-[a-z] \[ )?--[a-z][a-z.-]*' | sed 's/.*--//')
[ "$(wc -l <<<"$options")" -ge 20 ] || fail "read too few options from gdpd --help: $options"
# gdp-config(5)'s settings as section.key: each is a ".TP" then ".B key" under ".SS [section]"
# (or under the first .SS, for keys without a section); roff's \- is a plain -.
settings=$(awk '/^\.SS \[/ { section = substr($2, 2, length($2) - 2) "." }
                /^\.SS [^[]/ { section = "" }
                previous == ".TP" && /^\.B / { print section $2 }
                { previous = $0 }' "$man_dir/gdp-config.5" | sed 's/\\-/-/g')
[ "$(wc -l <<<"$settings")" -ge 20 ] || fail "read too few settings from gdp-config.5: $settings"
for option in $options; do
  grep -qxF -- "$option" <<<"$settings" && continue
  # In the page, as a word of a bold macro line: .B \-\-name, .BR \-h ", " \-\-help, .BI \-\-name " ARG"
  grep -E '^\.B[IR]? ' "$man_dir/gdpd.8" | tr ' ' '\n' | grep -qxF -- "$(sed 's/-/\\-/g' <<<"--$option")" ||
    fail "gdpd --$option is neither in gdpd.8 nor a setting in gdp-config.5"
done
for setting in $settings; do
  grep -qxF -- "$setting" <<<"$options" || fail "gdp-config.5 documents $setting, which gdpd does not know"
done
echo "PASS: gdpd.8 and gdp-config.5 document all $(wc -l <<<"$options") options of gdpd --help, and no other"

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
