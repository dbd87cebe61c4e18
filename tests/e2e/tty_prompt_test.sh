#!/usr/bin/env bash
# A person at a terminal: gdp snapshot of a file over the size limit asks "Read it anyway? [y/N]"
# on the TTY, and reads the file after "y". Driven through tmux, as a real terminal would be.
# Usage: tty_prompt_test.sh GDPD GDP EXAMPLE_CSV
set -euo pipefail
gdpd=$1 gdp=$2 example=$3
dir=$(mktemp -d)
session=gdp-tty-$$
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; rm -rf "$dir"; }
"$gdpd" --foreground --socket "$dir/s/gdpd.sock" --state-dir "$dir/state" --max-input-bytes 100 2>"$dir/gdpd.log" &
pid=$!
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$dir/s/gdpd.sock" ] && break; sleep 0.05; done

screen_has() {  # text, seconds
  for _ in $(seq $(( $2 * 10 ))); do
    tmux capture-pane -p -S - -t "$session" | grep -qF "$1" && return 0
    sleep 0.1
  done
  echo "FAIL: the terminal never showed: $1"; tmux capture-pane -p -t "$session"; return 1
}

tmux new-session -d -s "$session" -x 120 -y 40 "$gdp --socket $dir/s/gdpd.sock snapshot $example; echo EXIT=\$?; sleep 30"
screen_has "Read it anyway? [y/N]" 10
tmux send-keys -t "$session" y Enter
screen_has "EXIT=0" 10
screen_has "25 rows, 10 columns" 1
echo "PASS: asked on the TTY, read the file after y"

tmux kill-session -t "$session"
tmux new-session -d -s "$session" -x 120 -y 40 "$gdp --socket $dir/s/gdpd.sock snapshot $example; echo EXIT=\$?; sleep 30"
screen_has "Read it anyway? [y/N]" 10
tmux send-keys -t "$session" n Enter
screen_has "EXIT=1" 10
echo "PASS: a no leaves the file unread (exit 1)"
