#!/usr/bin/env bash
# Build gdp-systemd-test: a Debian 12 image whose entry point is systemd itself, so that
# tests/e2e/systemd_user_test.sh can run gdpd under a real user manager (socket activation,
# Type=notify). Registry-free, like packaging/runtime-image/build.sh: debootstrap from the
# machine's own Debian mirror, then `docker import`.
#
# Usage: build.sh [--image NAME]
#
# The image carries the label org.gdp.recipe-hash=<sha256 of build.sh and packages.txt>; when NAME
# already has the current hash nothing is done, so the test pays for a build only when the recipe
# changes. Needs root, debootstrap and a Docker Engine.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly script_dir
image=gdp-systemd-test

log() { printf 'systemd-test-image: %s\n' "$*"; }
die() {
    printf 'systemd-test-image: error: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case $1 in
    --image)
        (($# >= 2)) || die "--image needs a value"
        image=$2
        shift 2
        ;;
    *) die "unknown argument: $1 (usage: build.sh [--image NAME])" ;;
    esac
done

hash=$(cd "$script_dir" && sha256sum build.sh packages.txt | sha256sum | cut -d' ' -f1)
readonly hash
if current=$(docker image inspect --format '{{index .Config.Labels "org.gdp.recipe-hash"}}' "$image" 2>/dev/null) &&
    [[ $current == "$hash" ]]; then
    log "$image is current (recipe ${hash:0:12})"
    exit 0
fi

command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] ||
    die "debootstrap not found (apt-get install debootstrap)"
((EUID == 0)) || die "building needs root (debootstrap creates device nodes and chroots)"

# The machine's Debian archive and release, as apt itself resolved them from its sources (the main
# archive, not -updates or -security). The $(...) are apt's placeholders, not the shell's.
# shellcheck disable=SC2016
read -r mirror suite < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
    awk '$1 ~ /\/debian\/?$/ && $2 !~ /-/ { print; exit }') || true
mirror=${GDP_RUNTIME_MIRROR:-${mirror:-}}
suite=${GDP_RUNTIME_SUITE:-${suite:-}}
[[ -n $mirror && -n $suite ]] ||
    die "apt knows no Debian archive (no .../debian entry in its sources); set GDP_RUNTIME_MIRROR and GDP_RUNTIME_SUITE"

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$script_dir/packages.txt" | paste -sd, -)
workdir=$(mktemp -d "${TMPDIR:-/tmp}/gdp-systemd-test-build.XXXXXX")
cleanup() {
    local rc=$?
    ((rc == 0)) || { [[ -f $workdir/build.log ]] && tail -n 30 "$workdir/build.log" >&2; }
    rm -rf --one-file-system "$workdir"
    ((rc == 0)) || printf 'systemd-test-image: build FAILED (exit %d); %s is unchanged\n' "$rc" "$image" >&2
}
trap cleanup EXIT

start=$SECONDS
log "building $image (recipe ${hash:0:12}) from $mirror $suite"
# debootstrap's --include suffices here: none of these packages has an alternative that would pull
# in more than it should (see runtime-image/build.sh for the case where it does).
debootstrap --variant=minbase --components=main --include="$packages" "$suite" "$workdir/rootfs" "$mirror" \
    >"$workdir/build.log" 2>&1 || die "debootstrap failed"
rootfs=$workdir/rootfs
# A container has no consoles or hardware to wait for; these units only slow the boot or fail.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
    systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount sys-fs-fuse-connections.mount \
    systemd-remount-fs.service; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
: >"$rootfs/etc/machine-id"
: >"$rootfs/etc/hostname"
rm -rf --one-file-system "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs/debootstrap" \
    "${rootfs:?}"/dev/* "$rootfs"/run/* "$rootfs"/tmp/*
old_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
tar --numeric-owner -C "$rootfs" -c . |
    docker import \
        --change 'ENV container=docker' \
        --change 'CMD ["/sbin/init"]' \
        --change "LABEL org.gdp.image=systemd-test org.gdp.recipe-hash=$hash" \
        - "$image" >/dev/null
# The image this one replaces is left without a name: remove it (best effort; a container may
# still use it).
if [[ -n $old_id && $old_id != "$(docker image inspect --format '{{.Id}}' "$image")" ]]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "built $image (recipe ${hash:0:12}) in $((SECONDS - start))s"
