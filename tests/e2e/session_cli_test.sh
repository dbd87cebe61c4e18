#!/usr/bin/env bash
# The session commands as a person uses them, with the real gdp and gdpd and the real Docker
# Engine: one terminal (tmux, a real TTY) runs `gdp submit` and answers its prompts; a second
# terminal answers with `gdp approve` / `gdp edit` / `gdp deny`; a third follows with `gdp attach`
# (not a TTY). Then status, show, log and the results folder.
# Usage: session_cli_test.sh GDPD GDP SOURCE_DIR
set -euo pipefail
gdpd=$1 gdp=$2 src=$3
tmux_session=gdp-session-$$
# shellcheck source=tmux_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/tmux_fixture.sh"
# shellcheck source=gdpd_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/gdpd_fixture.sh"

pending_step() {  # the step waiting for approval, or "None"
  g --json status "$1" | json 'd["session"]["pending"] and d["session"]["pending"]["step"]'
}
wait_pending() {  # session, step
  for _ in $(seq 600); do [ "$(pending_step "$1")" = "$2" ] && return 0; sleep 0.2; done
  fail "step $2 of $1 never waited for approval"
}

# ---- terminal 1: gdp submit on a TTY, in the project folder -------------------------------------
# The scripts are taller than the terminal, so they are paged: PAGER=cat lets them through at once
# and the prompt follows (term_tty_test.sh checks the pager itself).
t new-session -d -s "$tmux_session" -x 160 -y 50 -c "$dir/project" \
  "PAGER=cat $gdp --socket $dir/s/gdpd.sock submit sales.csv; echo EXIT=\$?; sleep 60"
screen_has "[a]pprove" 60
screen_has "1  #" 1  # the script, with line numbers
id=$(g --json status | json '[s["session_id"] for s in d["sessions"]][-1]')
[ -n "$id" ] || fail "no session listed"
echo "PASS: gdp submit shows the first script and asks, on a TTY (session $id)"

# ---- terminal 3: a follower that is not a TTY -----------------------------------------------------
g attach "$id" >"$dir/follow.out" 2>&1 </dev/null &
follower=$!

# Step 1, answered at the TTY.
t send-keys -t "$tmux_session" a Enter
screen_has "approved step 1 (version 1) from pid" 30
wait_pending "$id" 2
echo "PASS: approved at the prompt; the step ran and the next one waits"

# Step 2, from terminal 2: an edit that breaks the syntax, then one that fixes it.
printf '#!/bin/sh\nprintf "x = (\\n" > "$1"\n' >"$dir/break.sh"
printf '#!/bin/sh\nprintf "print(\\"fixed by hand\\")\\n" > "$1"\n' >"$dir/fix.sh"
chmod +x "$dir/break.sh" "$dir/fix.sh"
out=$(EDITOR="$dir/break.sh" g edit "$id" 2>&1) || true
echo "$out" | grep -qi "line" || fail "a broken edit did not say where: $out"
[ "$(g --json status "$id" | json 'd["session"]["pending"]["validation"]["is_valid"]')" = "False" ] ||
  fail "the broken edit is not what waits"
if g approve "$id" >"$dir/approve.out" 2>&1; then fail "a broken script was approved"; fi
grep -q "failed validation" "$dir/approve.out" || fail "approving a broken script: $(cat "$dir/approve.out")"
EDITOR="$dir/fix.sh" g edit "$id" >/dev/null
screen_has 'print("fixed by hand")' 30  # shown again on the first terminal
g approve "$id" --step 2 >/dev/null
screen_has "approved step 2 (version 3) from pid" 30
if g approve "$id" --step 2 >"$dir/twice.out" 2>&1; then fail "the same step was approved twice"; fi
grep -q "already answered" "$dir/twice.out" || fail "answering twice: $(cat "$dir/twice.out")"
echo "PASS: gdp edit re-validates and shows the script again; answering twice is refused"

# Step 3, denied at the TTY with a reason; the session goes on and completes.
wait_pending "$id" 3
t send-keys -t "$tmux_session" d Enter
sleep 0.5
t send-keys -t "$tmux_session" "no charts today" Enter
screen_has "EXIT=0" 120
wait "$follower" || fail "the follower exited with $?"
grep -q "denied" "$dir/follow.out" || fail "the follower never saw the denial"
grep -q "no charts today" "$dir/follow.out" || fail "the follower never saw the reason"
echo "PASS: denied with a reason at the prompt; both terminals saw the session complete"

# ---- after the session ------------------------------------------------------------------------------
status=$(g --json status "$id")
[ "$(echo "$status" | json 'd["session"]["status"]')" = "completed" ] || fail "not completed: $status"
results=$(echo "$status" | json 'd["session"]["results_directory"]')
[ -f "$results/processing_summary.json" ] || fail "no summary in $results"
[ -f "$results/execution_log.txt" ] || fail "no log in $results"
ls "$results" | grep -q '^02_.*\.py$' || fail "the edited step's script is not in $results"
grep -q "fixed by hand" "$results"/02_*.py || fail "the results hold a script other than the one that ran"
g show "$id" --step 2 | grep -q "fixed by hand" || fail "gdp show --step does not show the edit"
[ "$(g log "$id" | wc -l)" -gt 10 ] || fail "gdp log is short"
g status | grep -q "$id" || fail "gdp status does not list the session"
echo "PASS: the results folder, gdp show, gdp log and gdp status tell what happened"

# ---- a restricted script needs a second, explicit yes; --quiet and --verbose ---------------------
id2=$(cd "$dir/project" && g submit sales.csv --detach)
[ -n "$id2" ] || fail "submit --detach printed no session id"
wait_pending "$id2" 1
rc=0
EDITOR=false g edit "$id2" >"$dir/editfail.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "gdp edit with a failing editor exited $rc, not 1"
grep -q "did not finish cleanly; nothing was sent" "$dir/editfail.out" ||
  fail "a failing editor is not reported: $(cat "$dir/editfail.out")"
printf '#!/bin/sh\nprintf "import subprocess\\nprint(subprocess.run([\\"true\\"]).returncode)\\n" > "$1"\n' \
  >"$dir/restricted.sh"
chmod +x "$dir/restricted.sh"
EDITOR="$dir/restricted.sh" g edit "$id2" >/dev/null
[ "$(g --json status "$id2" | json 'd["session"]["pending"]["needs_confirmation"]')" = "True" ] ||
  fail "a script that imports subprocess does not need a confirmation"
if g approve "$id2" </dev/null >"$dir/restricted.out" 2>&1; then fail "a restricted script ran on one yes"; fi
grep -q -- "--confirm-restricted" "$dir/restricted.out" ||
  fail "refusing a restricted script does not say how to confirm: $(cat "$dir/restricted.out")"
g approve "$id2" --confirm-restricted >/dev/null
wait_pending "$id2" 2
g cancel "$id2" >/dev/null
echo "PASS: a restricted script runs only with --confirm-restricted"

g attach "$id2" </dev/null >"$dir/plain.out" 2>&1 || true
g attach "$id2" --quiet </dev/null >"$dir/quiet.out" 2>&1 || true
g attach "$id2" --verbose </dev/null >"$dir/verbose.out" 2>&1 || true
plain=$(wc -l <"$dir/plain.out") quiet=$(wc -l <"$dir/quiet.out") verbose=$(wc -l <"$dir/verbose.out")
[ "$quiet" -lt "$plain" ] || fail "--quiet printed $quiet lines, no fewer than the $plain without it"
[ "$verbose" -gt "$plain" ] || fail "--verbose printed $verbose lines, no more than the $plain without it"
grep -q "approved step 1" "$dir/quiet.out" || fail "--quiet hid a decision: $(cat "$dir/quiet.out")"
grep -q "cancelled" "$dir/quiet.out" || fail "--quiet hid how the session ended: $(cat "$dir/quiet.out")"
echo "PASS: --quiet keeps decisions and the end ($quiet lines), --verbose adds detail ($verbose lines, $plain plain)"
