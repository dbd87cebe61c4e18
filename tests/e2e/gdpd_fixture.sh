# Sourced by the shell e2e tests that drive gdp by hand: a private folder (dir) with a project folder
# holding the example file, and a gdpd of the test's own; all of it goes on exit, with the tmux
# server of tmux_fixture.sh when the test uses one. Needs gdpd, gdp and src (the source tree); sets
# dir and pid (gdpd's), and defines
#   g ARGS...      gdp against that gdpd
#   fail MESSAGE   says what failed, shows the end of gdpd's log, exits 1
#   json EXPR      a Python expression over the JSON document on stdin (as d)
dir=$(mktemp -d)
chmod 700 "$dir"
cleanup() {
  if [ -n "${tmux_session:-}" ]; then t kill-server 2>/dev/null || true; fi
  kill "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
mkdir -p "$dir/project"
cp "$src/examples/sales.csv" "$dir/project/"
"$gdpd" --foreground --socket "$dir/s/gdpd.sock" --state-dir "$dir/state" 2>"$dir/gdpd.log" &
pid=$!
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$dir/s/gdpd.sock" ] && break; sleep 0.05; done
g() { "$gdp" --socket "$dir/s/gdpd.sock" "$@"; }
fail() { echo "FAIL: $*"; echo "--- gdpd log"; tail -20 "$dir/gdpd.log"; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
