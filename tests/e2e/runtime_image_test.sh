#!/usr/bin/env bash
# End-to-end check of the gdp-runtime sandbox image (packaging/runtime-image).
#
# Usage: tests/e2e/runtime_image_test.sh [IMAGE]     (default gdp-runtime)
#
# Runs the image the way the sandbox does (no network, read-only root, tmpfs
# /tmp, uid 10001, no capabilities, no-new-privileges) and checks python3,
# numpy/pandas/matplotlib, the non-root user, the /data layout, the absence
# of a network and the recipe-hash label. Exit 0 when every check passes.
# No Docker engine is a failure, not a skip.
set -euo pipefail

image=${1:-gdp-runtime}
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_sh=$repo_root/packaging/runtime-image/build.sh

passed=0
failed=0
pass() {
    printf 'PASS %s\n' "$1"
    passed=$((passed + 1))
}
fail() {
    printf 'FAIL %s\n' "$1"
    [[ -n ${2:-} ]] && printf '     %s\n' "${2//$'\n'/$'\n'     }"
    failed=$((failed + 1))
}
finish() {
    printf 'runtime_image_test: %d passed, %d failed\n' "$passed" "$failed"
    if ((failed == 0)); then
        exit 0
    fi
    exit 1
}

if [[ -x /usr/bin/docker ]]; then
    docker_bin=/usr/bin/docker
elif ! docker_bin=$(command -v docker); then
    fail "docker CLI present" "no docker binary found"
    finish
fi

if ! out=$(timeout 30 "$docker_bin" version --format '{{.Server.Version}}' 2>&1); then
    fail "Docker engine answers" "$(sed '/^[[:space:]]*$/d' <<<"$out")"
    finish
fi
pass "Docker engine answers (version $out)"

if ! "$docker_bin" image inspect "$image" >/dev/null 2>&1; then
    fail "image $image exists" "build it with: bash packaging/runtime-image/build.sh"
    finish
fi
pass "image $image exists"

# Runs python code in the image under the sandbox's restrictions.
sandbox_py() {
    "$docker_bin" run --rm --network none --read-only --tmpfs /tmp \
        --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges \
        "$image" python3 -c "$1" 2>&1
}

# check NAME EXPECTED PYTHON_CODE: passes when the output equals EXPECTED.
check() {
    local name=$1 expected=$2 code=$3 out
    if out=$(sandbox_py "$code") && [[ $out == "$expected" ]]; then
        pass "$name"
    else
        fail "$name" "expected '$expected', got: $out"
    fi
}

check "python3 runs" "ok" 'print("ok")'

check "numpy, pandas and matplotlib import; DataFrame computation gives 300" "300" '
import numpy, pandas, matplotlib
df = pandas.DataFrame({"a": [1, 2, 3, 4], "b": [10, 20, 30, 40]})
print(int((df.a * df.b).sum()))'

check "matplotlib renders a PNG with the Agg backend, without warnings" "agg png" '
import matplotlib, matplotlib.pyplot as plt
plt.plot([0, 1, 2], [2, 0, 1])
plt.savefig("/tmp/plot.png")
with open("/tmp/plot.png", "rb") as f:
    magic = f.read(8)
print(matplotlib.get_backend().lower(), "png" if magic == b"\x89PNG\r\n\x1a\n" else magic)'

check "runs as non-root uid 10001 (gid 10001)" "10001 10001" '
import os
print(os.getuid(), os.getgid())'

check "/data/input, /data/work, /data/output exist, owned by 10001, mode 0755; cwd /data/work" \
    "/data/input 10001 755|/data/work 10001 755|/data/output 10001 755|cwd /data/work" '
import os, stat
rows = []
for d in ("/data/input", "/data/work", "/data/output"):
    st = os.stat(d)
    rows.append("%s %d %o" % (d, st.st_uid, stat.S_IMODE(st.st_mode)))
rows.append("cwd " + os.getcwd())
print("|".join(rows))'

# A UDP connect() only looks up a route and sends nothing; with
# --network none there is no route, so it fails at once with ENETUNREACH.
check "no network: connecting to 1.1.1.1:53 fails" "no network" '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("1.1.1.1", 53))
    print("connected")
except OSError as e:
    print("no network")'

check "root filesystem is read-only, /tmp is writable" "ro tmp-ok" '
import os
try:
    open("/data/work/x", "w")
    r = "rw"
except OSError:
    r = "ro"
open("/tmp/x", "w").write("x")
print(r, "tmp-ok")'

check "image defaults: user 10001:10001, PYTHONDONTWRITEBYTECODE=1, MPLBACKEND=Agg, LANG=C.UTF-8" \
    "1 Agg C.UTF-8" '
import os
print(os.environ.get("PYTHONDONTWRITEBYTECODE"), os.environ.get("MPLBACKEND"), os.environ.get("LANG"))'

if user=$("$docker_bin" image inspect --format '{{.Config.User}}' "$image") && [[ $user == "10001:10001" ]]; then
    pass "image USER is 10001:10001"
else
    fail "image USER is 10001:10001" "got '${user:-}'"
fi

label=$("$docker_bin" image inspect --format '{{index .Config.Labels "org.gdp.image"}}' "$image" 2>&1 || true)
if [[ $label == runtime ]]; then
    pass "label org.gdp.image=runtime"
else
    fail "label org.gdp.image=runtime" "got '$label'"
fi

if ! want=$(bash "$build_sh" --print-hash 2>&1); then
    fail "label org.gdp.recipe-hash equals build.sh --print-hash" "build.sh --print-hash failed: $want"
else
    got=$("$docker_bin" image inspect --format '{{index .Config.Labels "org.gdp.recipe-hash"}}' "$image" 2>&1 || true)
    if [[ $got == "$want" ]]; then
        pass "label org.gdp.recipe-hash equals build.sh --print-hash (${want:0:12})"
    else
        fail "label org.gdp.recipe-hash equals build.sh --print-hash" "image has '$got', recipe is '$want' (rebuild: bash packaging/runtime-image/build.sh)"
    fi
fi

finish
