#!/usr/bin/env bash
# gdpd holds API keys, so it is not dumpable (prctl PR_SET_DUMPABLE 0): the kernel then gives its
# /proc/PID files to root, and other processes of the same user cannot read its memory or ptrace
# it. GDPD_DUMPABLE=1 keeps it dumpable (for a debugger), which also shows this check can tell.
# As root, gdpd runs as nobody (root could read it either way). Usage: dumpable_test.sh GDPD
set -euo pipefail
gdpd=${1:?usage: dumpable_test.sh GDPD}
dir=$(mktemp -d)
chmod 711 "$dir"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  mkdir -m 700 "$dir/d" && chown 65534:65534 "$dir/d"
else
  mkdir -m 700 "$dir/d"
fi

# Prints the owner uid of gdpd's /proc/PID/mem, and gdpd's own uid, with GDPD_DUMPABLE=$1.
owners() {
  "${as_user[@]}" env GDPD_DUMPABLE="$1" "$gdpd" --foreground --socket "$dir/d/s$1/gdpd.sock" \
    --state-dir "$dir/d/state$1" 2>"$dir/d/log$1" &
  pid=$!
  for _ in $(seq 100); do [ -S "$dir/d/s$1/gdpd.sock" ] && break; sleep 0.05; done
  [ -S "$dir/d/s$1/gdpd.sock" ] || { echo "FAIL: gdpd did not start"; cat "$dir/d/log$1"; exit 1; }
  echo "$(stat -c %u "/proc/$pid/mem") $(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
  kill "$pid"; wait "$pid" || true; pid=
}

read -r mem_owner gdpd_uid < <(owners 0)
[ "$mem_owner" -eq 0 ] && [ "$gdpd_uid" -ne 0 ] || { echo "FAIL: gdpd (uid $gdpd_uid) is dumpable"; exit 1; }
read -r mem_owner gdpd_uid < <(owners 1)
[ "$mem_owner" -eq "$gdpd_uid" ] || { echo "FAIL: GDPD_DUMPABLE=1 did not keep gdpd dumpable"; exit 1; }
echo "PASS: gdpd is not dumpable by default; GDPD_DUMPABLE=1 keeps it dumpable"
