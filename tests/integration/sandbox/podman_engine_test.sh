#!/usr/bin/env bash
# The Engine API client against Podman's Docker-compatible socket: gdp_sandbox_tests' [engine] cases
# with DOCKER_HOST pointing at a `podman system service` this script starts and stops. The runtime
# image is copied from the Docker Engine into Podman's store once (docker save | podman load).
# Exits 77 (skipped) when podman is not installed.
# Usage: podman_engine_test.sh GDP_SANDBOX_TESTS
set -euo pipefail
tests=$1
command -v podman >/dev/null || { echo "podman is not installed: skipped"; exit 77; }
dir=$(mktemp -d)
cleanup() {
  [ -n "${service:-}" ] && kill "$service" 2>/dev/null && wait "$service" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
# Podman raises its containers' open-file and process limits to its maxima unless told otherwise,
# and root on a CI machine may lack the CAP_SYS_RESOURCE that needs: stay within ours.
files=$(ulimit -Hn) processes=$(ulimit -Hu)
files=$((files < 65536 ? files : 65536))
[ "$processes" = unlimited ] || [ "$processes" -gt 4096 ] && processes=4096
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
  "$files" "$files" "$processes" "$processes" >"$dir/containers.conf"
export CONTAINERS_CONF=$dir/containers.conf
if ! podman image exists gdp-runtime:latest; then
  docker save gdp-runtime:latest | podman load -q >/dev/null
fi
podman system service --time=0 "unix://$dir/podman.sock" 2>"$dir/service.log" &
service=$!
# Ready when it answers /_ping, not when its socket appears: on a loaded machine Podman's first
# answer can take many seconds (it sets up its runtime and storage first).
ping() {
  python3 - "$dir/podman.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    s.sendall(b"GET /_ping HTTP/1.0\r\nHost: podman\r\n\r\n")
    sys.exit(0 if s.recv(64).startswith(b"HTTP/1.") else 1)
except OSError:
    sys.exit(1)
PY
}
for _ in $(seq 120); do ping && break; sleep 1; done
# A Podman that cannot serve at all says nothing about our client: skipped, with its log.
ping || { echo "podman's API service did not answer /_ping within 2 minutes: skipped"; cat "$dir/service.log"; exit 77; }
DOCKER_HOST=unix://$dir/podman.sock "$tests" "[engine]"
