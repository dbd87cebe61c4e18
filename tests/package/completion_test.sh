#!/usr/bin/env bash
# Shell completion for gdp: the bash script completes every command of `gdp --help`, options and
# session ids (from a private gdpd); the zsh script parses, compinit picks it up, and a real
# interactive zsh completes with it (tests/package/zsh_complete.zsh).
# Usage: completion_test.sh GDP GDPD SOURCE_DIR [--session]
#   --session: instead, submit a session and check that its id is offered (its steps need Docker).
set -euo pipefail
gdp=$1 gdpd=$2 src=$3 with_session=${4:-}
. "$(dirname "$0")/commands.sh"
bash_completion=$src/packaging/completion/gdp.bash
zsh_completion=$src/packaging/completion/_gdp
fail() { echo "FAIL: $*"; [ -f "${dir:-}/gdpd.log" ] && tail -20 "$dir/gdpd.log"; exit 1; }

dir=$(mktemp -d)
chmod 700 "$dir"
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
# The completion runs `gdp`: this build's, and talking to this test's gdpd only.
mkdir "$dir/bin"
ln -s "$gdp" "$dir/bin/gdp"
export PATH=$dir/bin:$PATH GDP_SOCKET=$dir/s/gdpd.sock

# What bash would offer for the command line $1 (the cursor at its end), one word a line.
complete_bash() {
  bash --norc --noprofile -c '
    . /usr/share/bash-completion/bash_completion
    . "$1"
    COMP_LINE=$2 COMP_POINT=${#2}
    read -ra COMP_WORDS <<<"$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _gdp gdp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_completion" "$1"
}
expect() {  # command line, the exact words offered
  local got
  got=$(complete_bash "$1" | sort | paste -sd ' ')
  [ "$got" = "$2" ] || fail "bash completion of '$1' offered '$got', not '$2'"
  echo "PASS: bash completes '$1' to '$2'"
}

# The same for zsh (tests/package/zsh_complete.zsh drives a real interactive zsh).
complete_zsh() {
  timeout 30 zsh -f "$(dirname "$0")/zsh_complete.zsh" "$(dirname "$zsh_completion")" "$dir" "$1"
}
expect_zsh() {  # command line, the exact words offered
  local got
  got=$(complete_zsh "$1" | paste -sd ' ')
  [ "$got" = "$2" ] || fail "zsh completion of '$1' offered '$got', not '$2'"
  echo "PASS: zsh completes '$1' to '$2'"
}

# Commands, options, values and files.
bash_checks() {
  offered=$(complete_bash "gdp ")
  for c in $commands; do
    grep -qxF -- "$c" <<<"$offered" || fail "bash completion does not offer gdp $c"
  done
  echo "PASS: bash completion offers all $(wc -l <<<"$commands") commands of gdp --help"

  expect "gdp su" "submit"
  expect "gdp submit --de" "--detach"
  expect "gdp --json st" "status"
  expect "gdp show 2026 --an" "--analysis"
  expect "gdp submit data.csv --method s" "stratified"
  expect "gdp key c" "clear"
  expect "gdp config " "show"
  # A file argument: files of the current folder.
  touch "$dir/sales.csv"
  got=$(cd "$dir" && complete_bash "gdp submit sal")
  [ "$got" = "sales.csv" ] || fail "gdp submit sal<TAB> offered '$got', not sales.csv"
  echo "PASS: bash completes gdp submit's file"
}

# zsh: the script parses, compinit registers it for gdp from a folder on fpath, and it completes.
zsh_checks() {
  zsh -n "$zsh_completion" || fail "zsh -n reports errors in $zsh_completion"
  got=$(zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2/zcompdump"
                   print -r -- ${_comps[gdp]}' _ "$(dirname "$zsh_completion")" "$dir")
  [ "$got" = "_gdp" ] || fail "after compinit, gdp completes with '$got', not _gdp"
  echo "PASS: zsh parses _gdp and compinit picks it up for gdp"
  offered=$(complete_zsh "gdp ")
  for c in $commands; do
    grep -qxF -- "$c" <<<"$offered" || fail "zsh completion does not offer gdp $c"
  done
  echo "PASS: zsh completion offers all $(wc -l <<<"$commands") commands of gdp --help"
  expect_zsh "gdp su" "submit"
  expect_zsh "gdp submit --de" "--detach"
  expect_zsh "gdp key " "clear set status"
}

# A private gdpd on $GDP_SOCKET, stopped by cleanup.
start_gdpd() {
  "$gdpd" --foreground --socket "$GDP_SOCKET" --state-dir "$dir/state" 2>"$dir/gdpd.log" &
  pid=$!
  for _ in $(seq 100); do [ -S "$GDP_SOCKET" ] && break; sleep 0.05; done
  "$gdp" ping >/dev/null || fail "the private gdpd does not answer"
}

# Sessions from gdpd: a real one (gdp submit --detach starts it; its steps need Docker).
session_checks() {
  mkdir "$dir/project"
  cp "$src/examples/sales.csv" "$dir/project/"
  id=$(cd "$dir/project" && "$gdp" submit sales.csv --detach 2>/dev/null) || fail "gdp submit --detach failed"
  [ -n "$id" ] || fail "gdp submit --detach printed no session id"
  expect "gdp attach " "$id"
  expect "gdp approve ${id:0:8}" "$id"
  expect "gdp --socket $GDP_SOCKET status " "$id"
  expect_zsh "gdp attach " "$id"
  "$gdp" cancel "$id" >/dev/null || true
}

command -v zsh >/dev/null || fail "zsh is not installed (apt-get install zsh)"
commands=$(gdp_commands "$gdp")
[ "$(wc -l <<<"$commands")" -ge 10 ] || fail "read too few commands from gdp --help: $commands"
if [ "$with_session" = --session ]; then
  start_gdpd
  session_checks
  exit 0
fi
bash_checks
# Session ids come from gdpd; with none running, nothing is offered and nothing hangs; with one
# that has no session, nothing is offered either.
start=$SECONDS
expect "gdp attach " ""
((SECONDS - start < 10)) || fail "completing a session without a gdpd took $((SECONDS - start)) s"
start_gdpd
expect "gdp attach " ""
zsh_checks
