#!/usr/bin/env bash
# Sets up gdp on a Debian 12 machine, idempotently: installs the build and run dependencies with
# apt-get, builds, installs gdp and gdpd onto PATH, makes sure a Docker Engine answers (installing
# Debian's docker.io and starting dockerd only when none does), makes sure the gdp-runtime sandbox
# image exists, and then runs the bundled example. Run it again at any time: what is done is skipped.
#
# Usage: packaging/setup.sh [--no-example] [--prefix DIR]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=/usr/local
run_example=1
while (($# > 0)); do
  case $1 in
    --no-example) run_example=0; shift ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] || say() { printf '==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# Root is needed for apt-get, installing into $prefix and starting dockerd.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "run as root, or install sudo: apt-get, /usr/local and dockerd need root"
  SUDO=(sudo)
fi

# ---- 1. packages ---------------------------------------------------------------------------------
# Build: compiler, CMake, the Debian Boost 1.81 / SQLite / OpenSSL / Catch2 / RapidCheck packages.
# Test: python3-jsonschema (schema checks), clang + its runtime (libFuzzer), binutils (readelf),
# tmux (a real terminal for the TTY prompt test).
# RE2 (libre2-dev): the privacy detectors. zstd (libzstd-dev): large texts in the project store.
# libkeyutils-dev: the kernel keyring (API keys).
# Run: docker.io (the engine, when none answers), debootstrap (builds the runtime image).
# podman: the Engine API client is also tested against Podman's Docker-compatible socket.
# Package tests: dpkg-dev (shlibdeps), lintian, man-db and groff-base (the manual pages), zsh and
# bash-completion (the completion scripts). systemd and libsystemd-dev: gdpd's socket activation
# and readiness (sd_listen_fds, sd_notify), systemd-socket-activate and systemd-analyze in tests.
packages=(build-essential cmake ninja-build pkg-config binutils libkeyutils-dev
          libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
          libsqlite3-dev libssl-dev catch2 librapidcheck-dev libre2-dev libzstd-dev
          python3 python3-jsonschema clang libclang-rt-14-dev tmux
          debootstrap ca-certificates podman
          dpkg-dev lintian man-db groff-base zsh bash-completion systemd libsystemd-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "build and test packages are installed"
fi

# ---- 2. build and install ------------------------------------------------------------------------
say "building gdp and gdpd"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGDP_WERROR=ON >/dev/null
cmake --build "$repo/build"
say "installing gdp and gdpd into $prefix/bin"
"${SUDO[@]}" cmake --install "$repo/build" --prefix "$prefix" >/dev/null
hash -r
command -v gdp >/dev/null && command -v gdpd >/dev/null || die "$prefix/bin is not on PATH; add it, or use --prefix"

# ---- 3. a Docker Engine --------------------------------------------------------------------------
engine_answers() { "${SUDO[@]}" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if engine_answers; then
  say "Docker Engine $("${SUDO[@]}" docker version --format '{{.Server.Version}}') answers; leaving it alone"
else
  if ! command -v dockerd >/dev/null; then
    say "installing Debian's docker.io"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq docker.io >/dev/null
  fi
  if [ -d /run/systemd/system ] && "${SUDO[@]}" systemctl start docker 2>/dev/null; then
    say "started the docker service"
  elif ! engine_answers; then
    # No systemd here (containers, CI): start the engine directly, detached, logging to a file.
    say "starting dockerd (log: /var/log/gdp-dockerd.log)"
    "${SUDO[@]}" sh -c 'nohup dockerd >>/var/log/gdp-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do engine_answers && break; sleep 1; done
  engine_answers || die "the Docker Engine did not answer within 60 s; see /var/log/gdp-dockerd.log"
  say "Docker Engine $("${SUDO[@]}" docker version --format '{{.Server.Version}}') answers"
fi

# ---- 4. the sandbox image ------------------------------------------------------------------------
"${SUDO[@]}" bash "$repo/packaging/runtime-image/build.sh"

# ---- 5. the example ------------------------------------------------------------------------------
[ "$run_example" = 1 ] || exit 0
say "starting gdpd (if it is not running) and asking it about itself"
gdp ping >/dev/null 2>&1 || gdpd
gdp version
gdp status
example=$repo/examples/sales.csv
say "gdp snapshot $example: what gdp sees of the data (format, schema over the whole file, random sample)"
gdp snapshot "$example" --seed 42
say "the sandbox reading it: no network, read-only, non-root, 2 CPUs, 4 GB"
"${SUDO[@]}" docker run --rm --network none --read-only --tmpfs /tmp --cap-drop ALL \
  --security-opt no-new-privileges --user 10001:10001 --cpus 2 --memory 4g --memory-swap 4g \
  --pids-limit 256 -v "$repo/examples:/data/input:ro" gdp-runtime \
  python3 -c 'import pandas as pd; df = pd.read_csv("/data/input/sales.csv"); print(df.describe(include="all").T.to_string())'
say "done. gdp and gdpd are on PATH; gdpd is running (gdp status). See README.md."
