#!/usr/bin/env bash
# Build the default gdp sandbox image (gdp-runtime) without any container
# registry: debootstrap a minimal Debian from the machine's own apt mirror,
# add the sandbox user and /data layout, and `docker import` the tree.
#
# Usage: build.sh [--image NAME] [--force] [--print-hash]
#
# The image carries the label org.gdp.recipe-hash=<sha256 of this script and
# packages.txt>. When an image NAME with the current hash already exists, the
# script does nothing (unless --force). See README.md beside this file.
set -euo pipefail

readonly SANDBOX_UID=10001
readonly SANDBOX_GID=10001
readonly SANDBOX_USER=gdp
readonly IMAGE_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg MPLCONFIGDIR=/tmp/matplotlib LANG=C.UTF-8'

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly script_dir
# Files that make up the recipe, in the fixed order they are hashed.
readonly recipe_files=(build.sh packages.txt)

image=gdp-runtime
force=0
print_hash=0

log() { printf 'runtime-image: %s\n' "$*"; }
die() {
    printf 'runtime-image: error: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<EOF
Usage: $(basename "$0") [--image NAME] [--force] [--print-hash]

Builds the gdp sandbox image NAME (default gdp-runtime) from Debian packages
with debootstrap and docker import; no container registry is needed.

  --image NAME   image name (and optional :tag) to build, default gdp-runtime
  --force        rebuild even if NAME already carries the current recipe hash
  --print-hash   print the recipe hash and exit
  -h, --help     show this help

Environment overrides (normally read from the apt configuration):
  GDP_RUNTIME_MIRROR   Debian archive URI, e.g. http://<mirror>/debian
  GDP_RUNTIME_SUITE    Debian suite, e.g. bookworm
EOF
}

while (($# > 0)); do
    case $1 in
    --image)
        (($# >= 2)) || die "--image needs a value"
        image=$2
        shift 2
        ;;
    --image=*)
        image=${1#--image=}
        shift
        ;;
    --force)
        force=1
        shift
        ;;
    --print-hash)
        print_hash=1
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
done
[[ -n $image ]] || die "--image must not be empty"

# sha256 over "name\nsha256(content)\n" of each recipe file, in fixed order.
recipe_hash() {
    local f
    for f in "${recipe_files[@]}"; do
        [[ -f $script_dir/$f ]] || die "recipe file missing: $script_dir/$f"
        printf '%s\n' "$f"
        sha256sum <"$script_dir/$f" | cut -d' ' -f1
    done | sha256sum | cut -d' ' -f1
}

hash=$(recipe_hash)
readonly hash
readonly short_hash=${hash:0:12}

if ((print_hash)); then
    printf '%s\n' "$hash"
    exit 0
fi

# --- tools -------------------------------------------------------------------

if [[ -x /usr/bin/docker ]]; then
    docker_bin=/usr/bin/docker
elif docker_bin=$(command -v docker 2>/dev/null); then
    :
else
    die "docker CLI not found (install docker.io: apt-get install docker.io)"
fi
readonly docker_bin
docker() { "$docker_bin" "$@"; }

if ! server_version=$(timeout 30 "$docker_bin" version --format '{{.Server.Version}}' 2>&1); then
    die "the Docker engine does not answer ($(sed '/^[[:space:]]*$/d' <<<"$server_version" | paste -sd ' ')); is dockerd running and is ${DOCKER_HOST:-unix:///var/run/docker.sock} reachable?"
fi

# --- up to date? -------------------------------------------------------------

if ((!force)) && current=$(docker image inspect --format '{{index .Config.Labels "org.gdp.recipe-hash"}}' "$image" 2>/dev/null) &&
    [[ $current == "$hash" ]]; then
    log "$image is current (recipe $short_hash)"
    exit 0
fi

debootstrap_bin=$(command -v debootstrap 2>/dev/null || true)
if [[ -z $debootstrap_bin && -x /usr/sbin/debootstrap ]]; then
    debootstrap_bin=/usr/sbin/debootstrap
fi
[[ -n $debootstrap_bin ]] || die "debootstrap not found (apt-get install debootstrap)"
((EUID == 0)) || die "building needs root (debootstrap creates device nodes and chroots)"

# --- Debian mirror and suite from the machine's apt configuration ------------

# Prints "URI SUITE SIGNED-BY" for the first enabled deb822 stanza entry whose
# URI ends in /debian and whose suite has no '-' (i.e. not -updates/-security).
parse_deb822() {
    awk '
        function flush(   n, m, i, j, u, s, uri) {
            if (!found && types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
                n = split(uris, u, /[ \t]+/)
                m = split(suites, s, /[ \t]+/)
                for (i = 1; i <= n && !found; i++) {
                    uri = u[i]
                    sub(/\/+$/, "", uri)
                    if (uri !~ /\/debian$/) continue
                    for (j = 1; j <= m; j++) {
                        if (s[j] == "" || s[j] ~ /-/ || s[j] ~ /\//) continue
                        print uri, s[j], (signed == "" ? "-" : signed)
                        found = 1
                        break
                    }
                }
            }
            types = uris = suites = signed = enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { next }
        {
            line = $0
            key = tolower(line); sub(/:.*/, "", key)
            val = line; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
            if (key == "types") types = val
            else if (key == "uris") uris = val
            else if (key == "suites") suites = val
            else if (key == "enabled") enabled = val
            else if (key == "signed-by") signed = val
        }
        END { flush() }
    ' "$@"
}

# Same for one-line sources.list entries: deb [options] URI SUITE COMPONENTS...
parse_one_line() {
    awk '
        found { next }
        /^[ \t]*deb[ \t]/ {
            line = $0
            sub(/#.*/, "", line)
            signed = "-"
            if (match(line, /\[[^]]*\]/)) {
                start = RSTART; len = RLENGTH
                opts = substr(line, start + 1, len - 2)
                line = substr(line, 1, start - 1) " " substr(line, start + len)
                if (match(opts, /signed-by=[^ \t]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
            }
            n = split(line, f, /[ \t]+/)
            k = 0
            for (i = 1; i <= n; i++) if (f[i] != "") w[++k] = f[i]
            if (k < 3) next
            uri = w[2]; suite = w[3]
            sub(/\/+$/, "", uri)
            if (uri !~ /\/debian$/ || suite ~ /-/ || suite ~ /\//) next
            print uri, suite, signed
            found = 1
        }
    ' "$@"
}

find_debian_source() {
    local entry="" f
    local -a files=()
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] && files+=("$f")
    done
    if ((${#files[@]} > 0)); then
        entry=$(parse_deb822 "${files[@]}")
    fi
    if [[ -z $entry ]]; then
        files=()
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [[ -f $f ]] && files+=("$f")
        done
        if ((${#files[@]} > 0)); then
            entry=$(parse_one_line "${files[@]}")
        fi
    fi
    printf '%s\n' "$entry"
}

read -r mirror suite signed_by <<<"$(find_debian_source)" || true
mirror=${GDP_RUNTIME_MIRROR:-${mirror:-}}
suite=${GDP_RUNTIME_SUITE:-${suite:-}}
[[ -n $mirror && -n $suite ]] ||
    die "no Debian archive found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (need a 'deb' entry whose URI ends in /debian); set GDP_RUNTIME_MIRROR and GDP_RUNTIME_SUITE"

keyring_args=()
if [[ -n ${signed_by:-} && $signed_by != - && -f $signed_by ]]; then
    keyring_args=(--keyring="$signed_by")
fi

# --- package list ------------------------------------------------------------

packages=()
while IFS= read -r line || [[ -n $line ]]; do
    line=${line%%#*}
    line=${line//[[:space:]]/}
    [[ -n $line ]] && packages+=("$line")
done <"$script_dir/packages.txt"
((${#packages[@]} > 0)) || die "packages.txt lists no package"

# --- build -------------------------------------------------------------------

workdir=$(mktemp -d "${TMPDIR:-/tmp}/gdp-runtime-build.XXXXXX")
rootfs=$workdir/rootfs
tmp_tag="gdp-runtime-build:$$-${short_hash}"

cleanup() {
    local rc=$? mnt
    # The tree may be a tmpfs with proc mounted inside; never rm -rf through a mount.
    if [[ -d $workdir ]]; then
        if ((rc != 0)) && [[ -s $workdir/build.log ]]; then
            cp "$workdir/build.log" "${workdir}.log" &&
                printf 'runtime-image: full build log kept in %s\n' "${workdir}.log" >&2
        fi
        while read -r mnt; do
            umount -l "$mnt" 2>/dev/null || true
        done < <(awk -v d="$workdir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
        rm -rf --one-file-system "$workdir"
    fi
    docker image rm "$tmp_tag" >/dev/null 2>&1 || true
    if ((rc != 0)); then
        printf 'runtime-image: build FAILED (exit %d); %s was left unchanged\n' "$rc" "$image" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building $image (recipe $short_hash) from $mirror $suite, engine $server_version"
log "packages: ${packages[*]}"
build_log=$workdir/build.log
start=$SECONDS
mkdir -m 0755 "$rootfs"
# Build the tree in memory when there is plenty (GDP_RUNTIME_TMPFS=0 turns
# this off): dpkg's many small writes and the removal of the tree at the end
# are much faster on tmpfs. The tree peaks at about 0.6 GB.
mem_kb=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
if [[ ${GDP_RUNTIME_TMPFS:-1} != 0 ]] && ((${mem_kb:-0} > 4 * 1024 * 1024)); then
    mount -t tmpfs -o size=2g,mode=0755 gdp-runtime-build "$rootfs"
    where="tmpfs $rootfs"
else
    where=$rootfs
fi
# dpkg need not fsync every file of a tree that is thrown away on failure.
mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/gdp-runtime-build-unsafe-io"
log "debootstrap --variant=minbase $suite into $where (log: $build_log)"
if ! "$debootstrap_bin" --variant=minbase --components=main "${keyring_args[@]}" \
    "$suite" "$rootfs" "$mirror" >>"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2 || true
    [[ -f $rootfs/debootstrap/debootstrap.log ]] && tail -n 40 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
fi
log "debootstrap done in $((SECONDS - start))s"

# The packages are installed with apt inside the tree, not with
# debootstrap --include: debootstrap's resolver always takes the first
# alternative of "a | b", even when b is requested too, and for
# python3-fonttools ("python3-scipy | python3-munkres") that drags in scipy,
# pythran, gcc and g++ (a 1.2 GB image instead of about 0.4 GB).
# dpkg leaves out documentation, manual pages and translations; licences stay.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/gdp-runtime-slim" <<'SLIM'
# gdp-runtime: files dpkg does not unpack (see packaging/runtime-image/build.sh)
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
SLIM
# No service may start inside the tree while packages are configured.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
mount -t proc proc "$rootfs/proc"
in_tree() {
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@" >>"$build_log" 2>&1 || {
        tail -n 40 "$build_log" >&2
        die "failed inside the tree: $*"
    }
}
log "apt-get install --no-install-recommends ${packages[*]}"
in_tree apt-get update
in_tree apt-get install -y --no-install-recommends --no-install-suggests "${packages[@]}"
in_tree apt-get clean
umount "$rootfs/proc"
rm -f "$rootfs/usr/sbin/policy-rc.d" "$rootfs/etc/dpkg/dpkg.cfg.d/gdp-runtime-build-unsafe-io"
log "$(chroot "$rootfs" dpkg-query -W -f '.\n' | wc -l) packages installed, done in $((SECONDS - start))s"

log "adding user $SANDBOX_USER ($SANDBOX_UID:$SANDBOX_GID) and /data layout"
grep -q "^$SANDBOX_USER:" "$rootfs/etc/passwd" && die "user $SANDBOX_USER already exists in the tree"
printf '%s:x:%d:%d:gdp sandbox:/home/%s:/usr/sbin/nologin\n' \
    "$SANDBOX_USER" "$SANDBOX_UID" "$SANDBOX_GID" "$SANDBOX_USER" >>"$rootfs/etc/passwd"
printf '%s:x:%d:\n' "$SANDBOX_USER" "$SANDBOX_GID" >>"$rootfs/etc/group"
if [[ -f $rootfs/etc/shadow ]]; then
    printf '%s:!:%d:0:99999:7:::\n' "$SANDBOX_USER" "$(($(date +%s) / 86400))" >>"$rootfs/etc/shadow"
fi
if [[ -f $rootfs/etc/gshadow ]]; then
    printf '%s:!::\n' "$SANDBOX_USER" >>"$rootfs/etc/gshadow"
fi
install -d -m 0755 -o "$SANDBOX_UID" -g "$SANDBOX_GID" \
    "$rootfs/home/$SANDBOX_USER" "$rootfs/data" "$rootfs/data/input" "$rootfs/data/work" "$rootfs/data/output"
chown 0:0 "$rootfs/data"

log "trimming the tree (apt caches and lists, docs, logs)"
# Docs of the debootstrap part (apt's part was never unpacked); keep licences.
find "$rootfs/usr/share/doc" -xdev -mindepth 1 ! -type d ! -name copyright -delete
find "$rootfs/usr/share/doc" -xdev -mindepth 1 -depth -type d -empty -delete
find "$rootfs/usr/share/locale" -xdev -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
# The Python packages' own test suites (about 120 MB, mostly sympy's and
# pandas'): only their test runners (pandas.test(), mpmath.runtests()) import
# them. Removed after installation because dpkg path-exclude of .py files
# makes py3compile fail in the postinst scripts.
find "$rootfs/usr/lib/python3/dist-packages" -xdev -mindepth 2 -type d -name tests -prune -exec rm -rf {} +
rm -rf --one-file-system \
    "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/info/* \
    "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/lib/dpkg/*-old \
    "$rootfs"/var/log/* \
    "$rootfs"/debootstrap \
    "${rootfs:?}"/dev/* \
    "$rootfs"/run/* \
    "$rootfs"/tmp/* \
    "$rootfs"/var/tmp/*
# Never ship the build machine's identity or resolver settings.
: >"$rootfs/etc/hostname"
rm -f "$rootfs/etc/resolv.conf"
mkdir -p "$rootfs/tmp" "$rootfs/var/tmp"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
log "tree is $(du -sh --one-file-system "$rootfs" | cut -f1)"

log "importing into docker as $tmp_tag"
tar --numeric-owner -C "$rootfs" -c . |
    docker import \
        --change "USER $SANDBOX_UID:$SANDBOX_GID" \
        --change 'WORKDIR /data/work' \
        --change "ENV $IMAGE_ENV" \
        --change 'CMD ["python3"]' \
        --change "LABEL org.gdp.image=runtime org.gdp.recipe-hash=$hash" \
        --message "gdp-runtime recipe $hash ($suite)" \
        - "$tmp_tag" >/dev/null

label=$(docker image inspect --format '{{index .Config.Labels "org.gdp.recipe-hash"}}' "$tmp_tag")
[[ $label == "$hash" ]] || die "imported image lacks label org.gdp.recipe-hash (got '$label')"

log "smoke test: python3 with numpy, pandas, matplotlib (Agg) as uid $SANDBOX_UID"
docker run --rm --network none --read-only --tmpfs /tmp \
    --cap-drop ALL --security-opt no-new-privileges "$tmp_tag" \
    python3 -c 'import numpy, pandas, matplotlib.pyplot as plt
assert pandas.DataFrame({"a": numpy.arange(4)}).a.sum() == 6
plt.plot([1, 2])
plt.savefig("/tmp/s.png")
plt.savefig("/tmp/s.pdf")' ||
    die "smoke test of the new image failed"

old_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
docker tag "$tmp_tag" "$image"
docker image rm "$tmp_tag" >/dev/null
new_id=$(docker image inspect --format '{{.Id}}' "$image")
if [[ -n $old_id && $old_id != "$new_id" ]]; then
    # Best effort: the old image may still be used by a container or another tag.
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "built $image ${new_id:7:12} (recipe $short_hash, $(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')) in $((SECONDS - start))s"
