#!/usr/bin/env bash
# gdpd under a real systemd user manager: a container that boots systemd (the image comes from
# packaging/systemd-test-image/build.sh, rebuilt only when its recipe changes), a lingering user,
# `systemctl --user enable --now gdpd.socket`, then `gdp ping` as that user must start
# gdpd.service through the socket (Type=notify, hardened as the unit says) and get its answer.
#
# Usage: systemd_user_test.sh GDPD GDP GDPD_SERVICE SOURCE_DIR [DEB]
#   GDPD_SERVICE is the configured unit as installed; the binaries go where its ExecStart= says.
#   With DEB (the package cpack built), the package is installed with dpkg -i instead, as a user
#   would, and `gdp doctor` in a login shell of the user must find the socket-activated gdpd.
# Exit 77 (ctest SKIP_RETURN_CODE) when this Docker Engine cannot boot systemd in a container,
# with the reason; every other problem is a failure.
set -euo pipefail

gdpd=$1 gdp=$2 service=$3 source_dir=$4 deb=${5:-}
readonly image=gdp-systemd-test user=gdptest
container=gdp-systemd-test-$$

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
skip() {
    printf 'SKIP: %s\n' "$*" >&2
    exit 77
}
step() { printf '== %s\n' "$*"; }

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
    fail "the Docker Engine does not answer; start dockerd (this test has the label docker)"
# The engine's socket goes into the container as /var/run/docker.sock, where gdpd looks by
# default: the hardened service must still reach it. Its group is given to the test user.
engine_socket=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && engine_socket=${DOCKER_HOST#unix://}
[[ -S $engine_socket ]] || fail "no Docker Engine socket at $engine_socket (only a unix:// DOCKER_HOST will do here)"
engine_gid=$(stat -c %g "$engine_socket")

step "image $image (packaging/systemd-test-image/build.sh; a no-op when the recipe is unchanged)"
"$source_dir/packaging/systemd-test-image/build.sh" --image "$image"

in_box() { docker exec "$container" "$@"; }
# As the user, with the runtime directory a login would set: systemctl --user finds the user
# manager through it, and gdp its default socket ($XDG_RUNTIME_DIR/gdp/gdpd.sock).
as_user() { docker exec -u "$user" -e XDG_RUNTIME_DIR="/run/user/$uid" "$container" "$@"; }
cleanup() {
    local rc=$?
    if ((rc != 0 && rc != 77)) && docker inspect "$container" >/dev/null 2>&1; then
        echo "--- the container's journal (last 60 lines) ---" >&2
        in_box journalctl --no-pager -n 60 >&2 || true
    fi
    docker rm -f "$container" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "boot systemd in container $container"
# systemd as PID 1 needs to mount and to manage cgroups: CAP_SYS_ADMIN, a cgroup namespace of its
# own, no seccomp filter (the default one also blocks keyctl, which gdpd uses), tmpfs on /run and
# /tmp. Not --privileged: it asks for every capability, and an engine that itself runs without
# some (as in a container) cannot grant them. The container is removed with docker rm -f.
docker run -d --name "$container" --label org.gdp.test=systemd-user --cap-add SYS_ADMIN \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns=private \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v "$engine_socket:/var/run/docker.sock" "$image" >/dev/null ||
    skip "this Docker Engine would not start a container with CAP_SYS_ADMIN and a private cgroup namespace, which systemd needs (docker run failed above)"
# is-system-running --wait returns once boot is over: "running", or "degraded" if a unit that
# does not matter here failed in the container; anything else means systemd did not come up. In
# the first moments PID 1 may not answer yet ("Failed to connect to bus"): ask again.
for _ in $(seq 1 60); do
    state=$(timeout 120 docker exec "$container" systemctl is-system-running --wait 2>&1 || true)
    case $state in
    running | degraded | maintenance | stopping | offline) break ;;
    *) sleep 1 ;;
    esac
done
if [[ $state != running && $state != degraded ]]; then
    skip "systemd did not boot in a container on this Docker Engine (is-system-running: '${state:-no answer}'; engine cgroup driver $(docker info --format '{{.CgroupDriver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null)); the container's log:
$(docker logs --tail 20 "$container" 2>&1)"
fi
echo "system state: $state"

if [[ -n $deb ]]; then
    [[ -f $deb ]] || fail "no package at $deb (the cpack test makes it)"
    step "dpkg -i $(basename "$deb")"
    # Not /tmp: a tmpfs there hides what docker cp writes beneath it.
    docker cp "$deb" "$container:/var/tmp/gdp.deb"
    in_box dpkg -i /var/tmp/gdp.deb >/dev/null || fail "dpkg -i of the package failed in the container"
    in_box test -x /usr/bin/gdpd -a -f /usr/lib/systemd/user/gdpd.socket -a -f /usr/lib/systemd/user/gdpd.service ||
        fail "the package did not install gdpd and its units"
else
    bindir=$(sed -n 's/^ExecStart=\(.*\)\/gdpd .*/\1/p' "$service")
    [[ -n $bindir ]] || fail "no ExecStart=.../gdpd in $service"
    step "install gdp and gdpd into $bindir, the units into /usr/lib/systemd/user"
    in_box mkdir -p "$bindir"
    docker cp "$gdpd" "$container:$bindir/gdpd"
    docker cp "$gdp" "$container:$bindir/gdp"
    docker cp "$source_dir/systemd/gdpd.socket" "$container:/usr/lib/systemd/user/gdpd.socket"
    docker cp "$service" "$container:/usr/lib/systemd/user/gdpd.service"
    in_box chmod 0644 /usr/lib/systemd/user/gdpd.socket /usr/lib/systemd/user/gdpd.service
fi

step "user $user with lingering: logind starts the user's manager with no login"
# In the engine socket's group (made under that gid if the image has none) from the start: the user
# manager, and gdpd under it, keep the groups the user had when lingering started it.
in_box sh -c "getent group $engine_gid >/dev/null || groupadd --gid $engine_gid docker-engine"
in_box useradd --create-home --groups "$engine_gid" "$user"
uid=$(in_box id -u "$user")
in_box loginctl enable-linger "$user"
for _ in $(seq 1 600); do
    in_box systemctl is-active --quiet "user@$uid.service" && break
    sleep 0.1
done
in_box systemctl is-active --quiet "user@$uid.service" || fail "user@$uid.service did not start after enable-linger"

step "systemctl --user enable --now gdpd.socket"
as_user systemctl --user enable --now gdpd.socket
[[ $(as_user systemctl --user is-active gdpd.socket) == active ]] || fail "gdpd.socket is not active"
# Nothing has connected yet: the service waits for its socket.
[[ $(as_user systemctl --user is-active gdpd.service || true) == inactive ]] ||
    fail "gdpd.service runs before any client connected"
socket_path=/run/user/$uid/gdp/gdpd.sock
socket_before=$(as_user stat -c '%a %U %i' "$socket_path")
[[ $socket_before == "600 $user "* ]] || fail "the socket is '$socket_before', want mode 600 and owner $user"

step "gdp ping as $user starts gdpd.service through the socket"
as_user gdp ping || fail "gdp ping failed under socket activation; gdpd's journal:
$(as_user journalctl --user -u gdpd.service --no-pager -n 30 2>&1 || true)"
[[ $(as_user systemctl --user is-active gdpd.service) == active ]] || fail "gdpd.service is not active after gdp ping"
# Type=notify: systemd got READY=1 and the STATUS= line, which it shows.
status_text=$(as_user systemctl --user show -p StatusText --value gdpd.service)
[[ $status_text == "serving $socket_path" ]] || fail "gdpd.service's status is '$status_text'"
as_user gdp status >/dev/null || fail "gdp status failed"
# The hardening is in force (no new privileges, a seccomp filter) and leaves gdpd what it needs:
# the Docker Engine answers it (gdp cleanup asks the engine for gdpd's containers).
main_pid=$(as_user systemctl --user show -p MainPID --value gdpd.service)
proc_status=$(in_box cat "/proc/$main_pid/status")
grep -q $'^NoNewPrivs:\t1$' <<<"$proc_status" || fail "gdpd runs without NoNewPrivileges"
grep -q $'^Seccomp:\t2$' <<<"$proc_status" || fail "gdpd runs without a seccomp filter"
cleanup_json=$(as_user gdp --json cleanup) || fail "gdp cleanup (gdpd asking the Docker Engine) failed: $cleanup_json"
grep -q '"engine":"[0-9]' <<<"$cleanup_json" || fail "gdpd did not reach the Docker Engine: $cleanup_json"

step "stop gdpd.service: STOPPING=1, a clean exit, and the socket stays for the next client"
as_user systemctl --user stop gdpd.service
result=$(as_user systemctl --user show -p Result --value gdpd.service)
[[ $result == success ]] || fail "gdpd.service stopped with result '$result'"
[[ $(as_user systemctl --user is-active gdpd.socket) == active ]] || fail "gdpd.socket went down with the service"
socket_after=$(as_user stat -c '%a %U %i' "$socket_path")
[[ $socket_after == "$socket_before" ]] || fail "gdpd changed systemd's socket: '$socket_before' became '$socket_after'"
as_user gdp ping >/dev/null || fail "the second gdp ping (a second activation) failed"
[[ $(as_user systemctl --user is-active gdpd.service) == active ]] || fail "gdpd.service did not start again"
if [[ -n $deb ]]; then
    step "gdp doctor in a new login shell of $user"
    as_user systemctl --user stop gdpd.service
    rc=0
    doctor=$(docker exec -u "$user" -w "/home/$user" "$container" bash -lc "XDG_RUNTIME_DIR=/run/user/$uid gdp doctor --quick" 2>&1) || rc=$?
    echo "$doctor"
    grep -q '^ok  *daemon  *gdpd ' <<<"$doctor" || fail "gdp doctor did not find gdpd answering"
    grep -q '^ok  *docker.engine ' <<<"$doctor" || fail "gdp doctor: gdpd under systemd did not reach the Docker Engine"
    # No Gemini key is configured in the container: that check warns (exit 6); nothing may fail.
    ((rc == 0 || rc == 6)) || fail "gdp doctor exited $rc"
    [[ $(as_user systemctl --user is-active gdpd.service) == active ]] || fail "gdp doctor did not start gdpd.service"
fi
echo "PASS: gdpd socket-activated and ready under the user manager of $user"
