#!/usr/bin/env bash
# A person at a terminal: gdp snapshot of a file over the size limit asks "Read it anyway? [y/N]"
# on the TTY, and reads the file after "y". Driven through tmux, as a real terminal would be.
# Usage: tty_prompt_test.sh GDPD GDP EXAMPLE_CSV
set -euo pipefail
gdpd=$1 gdp=$2 example=$3
dir=$(mktemp -d)
tmux_session=gdp-tty-$$
# shellcheck source=tmux_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/tmux_fixture.sh"
cleanup() { t kill-server 2>/dev/null || true; kill "$pid" 2>/dev/null || true; rm -rf "$dir"; }
"$gdpd" --foreground --socket "$dir/s/gdpd.sock" --state-dir "$dir/state" --max-input-bytes 100 2>"$dir/gdpd.log" &
pid=$!
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$dir/s/gdpd.sock" ] && break; sleep 0.05; done

t new-session -d -s "$tmux_session" -x 120 -y 40 "$gdp --socket $dir/s/gdpd.sock snapshot $example; echo EXIT=\$?; sleep 30"
screen_has "Read it anyway? [y/N]" 10
t send-keys -t "$tmux_session" y Enter
screen_has "EXIT=0" 10
screen_has "25 rows, 10 columns" 1
echo "PASS: asked on the TTY, read the file after y"

t kill-session -t "$tmux_session"
t new-session -d -s "$tmux_session" -x 120 -y 40 "$gdp --socket $dir/s/gdpd.sock snapshot $example; echo EXIT=\$?; sleep 30"
screen_has "Read it anyway? [y/N]" 10
t send-keys -t "$tmux_session" n Enter
screen_has "EXIT=1" 10
echo "PASS: a no leaves the file unread (exit 1)"
