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
for _ in $(seq 100); do [ -S "$dir/podman.sock" ] && break; sleep 0.1; done
[ -S "$dir/podman.sock" ] || { echo "podman's API service did not start:"; cat "$dir/service.log"; exit 1; }
DOCKER_HOST=unix://$dir/podman.sock "$tests" "[engine]"
