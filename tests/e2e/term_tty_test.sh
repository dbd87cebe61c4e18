#!/usr/bin/env bash
# gdp's terminal manners on a real terminal (tmux), with the real gdpd: the approval view is in
# colour on a TTY and plain with NO_COLOR or on a pipe; a view taller than the terminal goes
# through $PAGER (here a script that records each time it runs), [m]ore always does, and the
# prompt comes back after it; --no-pager and pipes never page.
# Usage: term_tty_test.sh GDPD GDP SOURCE_DIR
set -euo pipefail
gdpd=$1 gdp=$2 src=$3
tmux_session=gdp-term-$$
# shellcheck source=tmux_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/tmux_fixture.sh"
# shellcheck source=gdpd_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/gdpd_fixture.sh"

# The pager: keeps what it was given, shows it like cat, and counts its run only once all of it
# is kept, so a test that sees the count never reads a half-written copy.
cat >"$dir/pager.sh" <<PAGER
#!/bin/sh
n=\$((\$(cat "$dir/pager.runs" 2>/dev/null | wc -l) + 1))
tee "$dir/paged.\$n.part"
mv "$dir/paged.\$n.part" "$dir/paged.\$n"
echo run >>"$dir/pager.runs"
PAGER
chmod +x "$dir/pager.sh"
runs() { [ -f "$dir/pager.runs" ] && wc -l <"$dir/pager.runs" || echo 0; }

screen() { t capture-pane -p -e -S - -t "$tmux_session"; }  # with the colours, as escape codes
coloured='\[([0-9]+;)*3[1-6]m'  # a foreground colour, as tmux writes it back

# tmux stops its server with its last session: one that idles keeps it up between the terminals.
t new-session -d -s keeper "sleep 600"

# A terminal 15 lines high: the approval view is taller, so it is paged.
t new-session -d -s "$tmux_session" -x 120 -y 15 -c "$dir/project" \
  "env -u NO_COLOR TERM=xterm-256color PAGER=$dir/pager.sh $gdp --socket $dir/s/gdpd.sock submit sales.csv; echo EXIT=\$?; sleep 60"
screen_has "[a]pprove" 60
id=$(g --json status | json '[s["session_id"] for s in d["sessions"]][-1]')
[ "$(runs)" = 1 ] || fail "the approval view taller than the terminal was paged $(runs) times, not once"
grep -q "WAITS FOR YOUR APPROVAL" "$dir/paged.1" || fail "the pager was not given the approval view"
grep -qE "^ +1  " <(sed 's/\x1b\[[0-9;]*m//g' "$dir/paged.1") || fail "the paged script has no line numbers"
grep -qE $'\e'"$coloured" "$dir/paged.1" || fail "the paged approval view is not coloured"
grep -qE $'\e'"\\[[0-9;]*m(import|def|for|if|print|return)"$'\e' "$dir/paged.1" ||
  fail "the script is not highlighted: $(head -c 600 "$dir/paged.1" | cat -v)"
screen | grep -qE $'\e'"$coloured" || fail "the terminal shows no colour"
echo "PASS: on a TTY the approval view is coloured, highlighted and paged (session $id)"

# [m]ore: the whole step through the pager, then the prompt again.
t send-keys -t "$tmux_session" m Enter
for _ in $(seq 100); do [ "$(runs)" = 2 ] && break; sleep 0.1; done
[ "$(runs)" = 2 ] || fail "[m]ore did not page"
grep -q "version 1" "$dir/paged.2" || fail "[m]ore paged something else: $(head -5 "$dir/paged.2")"
t clear-history -t "$tmux_session"
t send-keys -t "$tmux_session" "" Enter  # an empty answer: asked again, so the prompt is back
screen_has "Please answer" 10
screen_has "[a]pprove" 10
t send-keys -t "$tmux_session" q Enter
screen_has "EXIT=0" 30
echo "PASS: [m]ore goes through the pager and the prompt comes back"

# NO_COLOR: the same view, plain (tmux would write any colour back as an escape code).
t kill-session -t "$tmux_session"
t new-session -d -s "$tmux_session" -x 120 -y 15 -c "$dir/project" \
  "NO_COLOR=1 TERM=xterm-256color PAGER=$dir/pager.sh $gdp --socket $dir/s/gdpd.sock attach $id; echo EXIT=\$?; sleep 60"
screen_has "[a]pprove" 30
[ "$(runs)" = 3 ] || fail "attach did not page the long approval view"
grep -q $'\e\[' "$dir/paged.3" && fail "NO_COLOR: the paged view has escape codes: $(grep -m3 $'\e\[' "$dir/paged.3" | cat -v)"
screen | grep -qE $'\e'"$coloured" && fail "NO_COLOR: the terminal shows colour"
t send-keys -t "$tmux_session" q Enter
screen_has "EXIT=0" 30
echo "PASS: with NO_COLOR the approval view is plain"

# --no-pager on a TTY, and gdp show on a pipe: never paged, and plain on the pipe.
t kill-session -t "$tmux_session"
t new-session -d -s "$tmux_session" -x 120 -y 15 -c "$dir/project" \
  "TERM=xterm-256color PAGER=$dir/pager.sh $gdp --no-pager --socket $dir/s/gdpd.sock attach $id; echo EXIT=\$?; sleep 60"
screen_has "[a]pprove" 30
t send-keys -t "$tmux_session" q Enter
screen_has "EXIT=0" 30
[ "$(runs)" = 3 ] || fail "--no-pager paged"
PAGER="$dir/pager.sh" g show "$id" --step 1 >"$dir/show.out"
[ "$(runs)" = 3 ] || fail "gdp show paged on a pipe"
grep -q "version 1" "$dir/show.out" || fail "gdp show printed nothing useful"
grep -q $'\e\[' "$dir/show.out" && fail "gdp show on a pipe has escape codes"
# Into a file, not straight into grep -q: grep leaving at its first match would SIGPIPE gdp, and
# pipefail would take that for a failure.
PAGER="$dir/pager.sh" g --color=always show "$id" --step 1 >"$dir/always.out"
grep -q $'\e\[' "$dir/always.out" || fail "--color=always is plain"
echo "PASS: --no-pager and pipes print without the pager; pipes without colour unless --color=always"

# gdp show on the TTY, taller than it: paged.
t kill-session -t "$tmux_session"
t new-session -d -s "$tmux_session" -x 120 -y 15 -c "$dir/project" \
  "TERM=xterm-256color PAGER=$dir/pager.sh $gdp --socket $dir/s/gdpd.sock show $id --step 1; echo EXIT=\$?; sleep 60"
screen_has "EXIT=0" 30
[ "$(runs)" = 4 ] || fail "gdp show taller than the terminal was not paged"
echo "PASS: gdp show pages a long view on a TTY"
# While the pager holds the terminal the session goes on: another terminal approves the step. The
# pager runs to its end, then what happened meanwhile is shown and the void question is not asked.
cat >"$dir/slow-pager.sh" <<PAGER
#!/bin/sh
trap '' INT  # like less: Ctrl-C is the pager's own business
cat >/dev/null
touch "$dir/paging"
while [ ! -f "$dir/release" ]; do sleep 0.1; done
echo "PAGER DONE"
PAGER
chmod +x "$dir/slow-pager.sh"
t kill-session -t "$tmux_session"
t new-session -d -s "$tmux_session" -x 120 -y 15 -c "$dir/project" \
  "PAGER=$dir/slow-pager.sh $gdp --socket $dir/s/gdpd.sock attach $id; echo EXIT=\$?; sleep 60"
for _ in $(seq 300); do [ -f "$dir/paging" ] && break; sleep 0.1; done
[ -f "$dir/paging" ] || fail "attach never paged the approval view"
g approve "$id" --step 1 >/dev/null
sleep 1  # the approval's event reaches the attached gdp while its pager still runs
t capture-pane -p -S - -t "$tmux_session" | grep -q "approved step 1" && fail "an event broke into the pager"
t send-keys -t "$tmux_session" C-c  # and not a reason for gdp to stop
sleep 0.5
touch "$dir/release"
screen_has "PAGER DONE" 10
screen_has "approved step 1 (version 1) from pid" 10
t capture-pane -p -S - -t "$tmux_session" | sed -n '/PAGER DONE/,$p' >"$dir/after"
grep -q "approved step 1" "$dir/after" || fail "the decision made meanwhile was not shown after the pager"
t capture-pane -p -S - -t "$tmux_session" | grep -q "EXIT=" && fail "gdp stopped: $(t capture-pane -p -t "$tmux_session")"
echo "PASS: events that come while the pager runs are shown after it; Ctrl-C there does not stop gdp"
g cancel "$id" >/dev/null
