#!/usr/bin/env bash
# The Debian package, in two steps (two ctest tests sharing the .deb through a fixture):
#   package_test.sh build BUILD_DIR OUT_DIR VERSION
#     cpack makes the .deb in OUT_DIR; its files, control fields and lintian's verdict are checked.
#   package_test.sh install OUT_DIR
#     dpkg -i on this machine, the installed gdp runs and its manual is found, then dpkg --purge
#     leaves nothing behind. Skipped (exit 77) when it could disturb the machine: not root, a gdp
#     package already installed, or a file the package holds already present.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need() {  # command, the Debian package that has it
  command -v "$1" >/dev/null || fail "$1 is not installed (apt-get install $2)"
}

# Every file the package must hold (directories aside), relative to /.
expected_files() {
  cat <<'LIST'
usr/bin/gdp
usr/bin/gdpd
usr/lib/systemd/user/gdpd.service
usr/lib/systemd/user/gdpd.socket
usr/share/bash-completion/completions/gdp
usr/share/zsh/vendor-completions/_gdp
usr/share/man/man1/gdp.1.gz
usr/share/man/man5/gdp-config.5.gz
usr/share/man/man8/gdpd.8.gz
usr/share/doc/gdp/copyright
usr/share/doc/gdp/changelog.Debian.gz
usr/share/lintian/overrides/gdp
usr/share/gdp/runtime-image/build.sh
usr/share/gdp/runtime-image/packages.txt
usr/share/gdp/runtime-image/Dockerfile
usr/share/gdp/runtime-image/README.md
LIST
}
# The package's files as dpkg-deb lists them: "path" for files, "path/" for directories.
package_paths() {
  dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./||' | grep -v '^$'
}

build() {
  local build_dir=$1 out=$2 version=$3
  need dpkg-shlibdeps dpkg-dev
  need lintian lintian
  rm -rf "$out"
  mkdir -p "$out"
  (cd "$out" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" >cpack.log 2>&1) ||
    { cat "$out/cpack.log"; fail "cpack failed"; }
  local deb
  deb=$(ls "$out"/*.deb)
  [ "$(basename "$deb")" = "gdp_${version}-1_$(dpkg --print-architecture).deb" ] ||
    fail "unexpected package file name $(basename "$deb")"

  local files missing extra
  files=$(package_paths "$deb" | grep -v '/$' | sort)
  missing=$(comm -23 <(expected_files | sort) <(echo "$files"))
  extra=$(comm -13 <(expected_files | sort) <(echo "$files"))
  [ -z "$missing" ] || fail "the package lacks: $missing"
  [ -z "$extra" ] || fail "the package holds files nobody listed: $extra"
  echo "PASS: the package holds exactly the expected $(wc -l <<<"$files") files"

  # The unit starts the gdpd the package installs, not a build tree's or /usr/local's.
  dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/systemd/user/gdpd.service |
    grep -q '^ExecStart=/usr/bin/gdpd' || fail "gdpd.service does not start /usr/bin/gdpd"
  dpkg-deb --fsys-tarfile "$deb" | tar -tvf - ./usr/share/gdp/runtime-image/build.sh | grep -q '^-rwxr-xr-x' ||
    fail "runtime-image/build.sh is not executable in the package"
  echo "PASS: gdpd.service runs /usr/bin/gdpd; the runtime image recipe is executable"
  # The same rules with another prefix (packaging/setup.sh installs into /usr/local).
  DESTDIR=$out/destdir cmake --install "$build_dir" --prefix /opt/gdp >"$out/install.log" 2>&1 ||
    { cat "$out/install.log"; fail "cmake --install --prefix /opt/gdp failed"; }
  grep -q '^ExecStart=/opt/gdp/bin/gdpd' "$out/destdir/opt/gdp/lib/systemd/user/gdpd.service" ||
    fail "with --prefix /opt/gdp, gdpd.service does not start /opt/gdp/bin/gdpd"
  echo "PASS: cmake --install --prefix /opt/gdp makes gdpd.service start /opt/gdp/bin/gdpd"

  field() { dpkg-deb -f "$deb" "$1"; }
  [ "$(field Package)" = gdp ] || fail "Package is '$(field Package)'"
  [ "$(field Version)" = "${version}-1" ] || fail "Version is '$(field Version)', not ${version}-1"
  [ "$(field Section)" = utils ] || fail "Section is '$(field Section)'"
  [ "$(field Priority)" = optional ] || fail "Priority is '$(field Priority)'"
  [ "$(field Recommends)" = "docker.io | docker-ce, debootstrap" ] || fail "Recommends is '$(field Recommends)'"
  [ -n "$(field Maintainer)" ] || fail "no Maintainer"
  # dpkg-shlibdeps computed Depends from what the binaries link.
  for lib in libc6 libstdc++6 libssl3 libsqlite3-0 libboost-json1.81.0; do
    field Depends | grep -q "\b$lib\b" || fail "Depends lacks $lib: $(field Depends)"
  done
  field Description | sed -n 1p | grep -q '^careful, sandboxed' || fail "unexpected synopsis: $(field Description)"
  [ "$(field Description | wc -l)" -gt 5 ] || fail "the long description is missing"
  echo "PASS: control fields: $(field Package) $(field Version), Depends: $(field Depends)"

  # No error from lintian; the warnings it still gives are printed for the log.
  lintian --fail-on error --tag-display-limit 0 "$deb" >"$out/lintian.log" 2>&1 ||
    { cat "$out/lintian.log"; fail "lintian reports errors"; }
  if [ -s "$out/lintian.log" ]; then
    sed 's/^/lintian: /' "$out/lintian.log"
  fi
  echo "PASS: lintian finds no error in $(basename "$deb")"
}

# dpkg's state of the gdp package: empty when dpkg never heard of it, else installed,
# not-installed, config-files, unpacked, half-installed...
dpkg_state() {
  dpkg-query -W -f '${db:Status-Status}' gdp 2>/dev/null || true
}

install_and_remove() {
  local out=$1 deb
  need man man-db
  deb=$(ls "$out"/*.deb) || fail "no package in $out; the build test makes it"
  [ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
  local state
  state=$(dpkg_state)
  if [ -n "$state" ] && [ "$state" != not-installed ]; then
    skip "a gdp package is on this machine ($state); it is left alone"
  fi
  local path
  while read -r path; do
    [ -e "/$path" ] && skip "/$path exists already; installing the package would replace it"
  done < <(expected_files)

  # Not local: the EXIT trap uses it after this function returns.
  tmp=$(mktemp -d)
  # Whatever happens below, the package does not stay installed.
  trap 'dpkg --purge gdp >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
  dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i failed"; }
  echo "PASS: dpkg -i $(basename "$deb")"

  # A clean environment: the installed gdp from /usr/bin, a socket no daemon listens on.
  run() { env -i PATH=/usr/bin:/bin HOME="$tmp" XDG_RUNTIME_DIR="$tmp" "$@"; }
  [ "$(run sh -c 'command -v gdp')" = /usr/bin/gdp ] || fail "gdp is not /usr/bin/gdp on PATH"
  run gdp --version | grep -qx "gdp $(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')" ||
    fail "gdp --version says '$(run gdp --version)'"
  run gdp --help | grep -q '^Commands:' || fail "gdp --help prints no commands"
  run gdpd --version | grep -q '^gdpd ' || fail "gdpd --version failed"
  echo "PASS: the installed gdp and gdpd run: $(run gdp --version)"

  for page in 1:gdp 8:gdpd 5:gdp-config; do
    [ "$(run man -w "${page%%:*}" "${page#*:}")" = "/usr/share/man/man${page%%:*}/${page#*:}.${page%%:*}.gz" ] ||
      fail "man -w ${page%%:*} ${page#*:} does not find the installed page"
  done
  echo "PASS: man finds gdp(1), gdpd(8) and gdp-config(5)"

  # The shells find the completion where the package put it, with their default settings.
  run bash --norc -c '. /usr/share/bash-completion/bash_completion && __load_completion gdp && complete -p gdp' |
    grep -q -- '-F _gdp gdp$' || fail "bash-completion does not load the installed completion for gdp"
  if command -v zsh >/dev/null; then
    [ "$(run zsh -f -c 'autoload -U compinit; compinit -u -d "$HOME/zcompdump"; print -r -- ${_comps[gdp]}')" = _gdp ] ||
      fail "zsh's compinit does not find the installed _gdp"
  fi
  echo "PASS: bash and zsh load the installed completion for gdp"

  # gdp doctor checks the installation: first with no gdpd (the daemon check fails and says how to
  # start one), then with the installed gdpd running (it answers; --quick starts no container).
  local rc=0
  run gdp doctor --quick >"$tmp/doctor.out" 2>&1 || rc=$?
  [ "$rc" = 7 ] || { cat "$tmp/doctor.out"; fail "gdp doctor without gdpd exited $rc, not 7"; }
  grep -q '^FAIL  *daemon' "$tmp/doctor.out" || { cat "$tmp/doctor.out"; fail "no failed daemon check"; }
  grep -q 'fix: .*gdpd' "$tmp/doctor.out" || { cat "$tmp/doctor.out"; fail "no fix saying how to start gdpd"; }
  # Not through run(): a function in the background is a subshell, and $! would be its pid, not
  # gdpd's (env execs gdpd, so here it is).
  env -i PATH=/usr/bin:/bin HOME="$tmp" XDG_RUNTIME_DIR="$tmp" gdpd --foreground --state-dir "$tmp/state" \
    2>"$tmp/gdpd.log" &
  local gdpd_pid=$!
  for _ in $(seq 100); do run gdp ping >/dev/null 2>&1 && break; sleep 0.1; done
  rc=0
  run gdp doctor --quick >"$tmp/doctor.out" 2>&1 || rc=$?
  kill "$gdpd_pid"; wait "$gdpd_pid" || true
  grep -q '^ok  *daemon  *gdpd ' "$tmp/doctor.out" || { cat "$tmp/doctor.out" "$tmp/gdpd.log"; fail "the installed gdpd did not answer gdp doctor"; }
  ((rc == 0 || rc == 6 || rc == 7)) || { cat "$tmp/doctor.out"; fail "gdp doctor exited $rc"; }
  echo "PASS: gdp doctor says how to start gdpd, then finds the installed gdpd answering (exit $rc)"

  dpkg --purge gdp >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --purge failed"; }
  state=$(dpkg_state)
  [ -z "$state" ] || [ "$state" = not-installed ] || fail "after dpkg --purge, dpkg says gdp is $state"
  while read -r path; do
    [ -e "/$path" ] && fail "/$path is left after dpkg --purge"
  done < <(package_paths "$deb" | grep -v '/$')
  for path in /usr/share/gdp /usr/share/doc/gdp; do
    [ -e "$path" ] && fail "$path is left after dpkg --purge"
  done
  echo "PASS: dpkg --purge gdp leaves none of its files"
}

case ${1:-} in
  build) build "$2" "$3" "$4" ;;
  install) install_and_remove "$2" ;;
  *) fail "usage: package_test.sh build BUILD_DIR OUT_DIR VERSION | install OUT_DIR" ;;
esac
