#!/usr/bin/env bash
# A person at a terminal: `gdp key set` asks without echoing what is typed, and the terminal's
# echo comes back after the key is stored and after a Ctrl-C at the prompt. Driven through tmux
# (a private server), in a session keyring of its own (GDP_KEYRING=session) so the real user's
# key is never touched. Usage: key_tty_test.sh GDP
set -euo pipefail
gdp=${1:?usage: key_tty_test.sh GDP}
key=AIzaSyTTYfakeTTYfake0123456789_-ttyfake   # 39 characters, recognisable, never real
tail=${key: -12}
server=gdp-key-tty-$$
dir=$(mktemp -d)
cleanup() { tmux -L "$server" kill-server 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

screen() { tmux -L "$server" capture-pane -p -S - -t keys; }
screen_has() {  # text, seconds
  for _ in $(seq $(( $2 * 10 ))); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "FAIL: the terminal never showed: $1"; screen; return 1
}

# stty prints "echo" or "-echo"; the trap lets the shell go on after gdp dies of SIGINT.
cat >"$dir/script" <<SCRIPT
export GDP_KEYRING=session
trap 'echo INTERRUPTED' INT
echo_state() { stty -a | grep -oE '(^| )-?echo( |\$)' | tr -d ' '; }
"$gdp" key set; echo EXIT=\$?; echo "ECHO=\$(echo_state)"
"$gdp" key status
"$gdp" key set; echo EXIT2=\$?; echo "ECHO2=\$(echo_state)"
sleep 30
SCRIPT
tmux -L "$server" new-session -d -s keys -x 150 -y 40 keyctl session - bash "$dir/script"

screen_has "Gemini API key (typing is not shown):" 10
tmux -L "$server" send-keys -t keys "$key" Enter
screen_has "EXIT=0" 10
screen_has "ECHO=echo" 2
screen_has "set 0 days ago, in your session keyring" 5
if screen | grep -qF -- "$tail"; then echo "FAIL: the key was echoed"; screen; exit 1; fi
echo "PASS: the key was read without echo and stored; echo is back"

screen_has "EXIT=0" 1
for _ in $(seq 50); do [ "$(screen | grep -cF 'typing is not shown')" -ge 2 ] && break; sleep 0.1; done
tmux -L "$server" send-keys -t keys "AIzaSyPART"
tmux -L "$server" send-keys -t keys C-c
screen_has "EXIT2=130" 10
screen_has "ECHO2=echo" 2
if screen | grep -qF "AIzaSyPART"; then echo "FAIL: the partial key was echoed"; screen; exit 1; fi
echo "PASS: Ctrl-C at the prompt gives the terminal its echo back"
