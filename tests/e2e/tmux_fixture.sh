# Sourced by the tests that drive gdp on a real terminal: tmux, on a server of the test's own so
# that nothing else started or stopped on the machine can touch it. Needs tmux_session set.
#   t ARGS...              tmux on that server
#   screen_has TEXT SECS   waits until the terminal shows TEXT; else shows the screen and exits 1
t() { tmux -L "$tmux_session" "$@"; }
screen_has() {
  for _ in $(seq $(($2 * 10))); do
    t capture-pane -p -S - -t "$tmux_session" | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "FAIL: the terminal never showed: $1"; t capture-pane -p -S - -t "$tmux_session" | tail -40; exit 1
}
