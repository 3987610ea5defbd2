#!/bin/bash
# Set up a Debian 12 machine for mailtrail, build it, and run one job:
#   scripts/setup.sh demo    install what is missing, build, replay the bundled sample
#   scripts/setup.sh test    install what is missing, build, run the whole test suite
#   scripts/setup.sh build   install what is missing and build
#   scripts/setup.sh package install what is missing, build the .deb and check it with lintian
# Run as root (or with the packages already installed). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
job=${1:-demo}
build_dir=${BUILD_DIR:-build}

packages=(build-essential cmake ninja-build pkg-config libsqlite3-dev zlib1g-dev libzstd-dev
          libuv1-dev nlohmann-json3-dev libsystemd-dev libtomlplusplus-dev libcpp-httplib-dev systemd
          libmysqlcppconn-dev libmariadb-dev mariadb-server mariadb-client libpcre2-dev libpsl-dev libidn2-dev
          libnftables-dev nftables libiptc-dev iptables iproute2 postfix postfix-lmdb postfix-pcre
          googletest libgtest-dev libgmock-dev libbenchmark-dev python3 sqlite3
          clang libclang-rt-14-dev
          groff-base man-db  # the man pages' test renders them (tests/cli/man_pages.sh)
          systemd-journal-remote  # writes journal files for the journal input tests
          prometheus  # for promtool: the alerting rules are checked by the tests
          libjs-chart.js whois chromium chromium-driver python3-selenium)  # the web console, its tests

packages+=(debhelper lintian man-db)  # scripts/setup.sh package, and its test (man -w)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  # Postfix's tools (postmap, postconf) for the tests, without configuring a mail system.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  local werror=OFF
  [ "${CI:-}" = "true" ] && werror=ON
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DMAILTRAIL_WERROR=$werror > /dev/null
  ninja -C "$build_dir" -j2
}

demo() {
  local db=$build_dir/demo.db bin=$build_dir/mailtrail
  rm -f "$db" "$db-wal" "$db-shm"
  echo "== mailtrail replay: the bundled sample (real Postfix 3.7 logs) into SQLite"
  "$bin" replay --store "sqlite:$db" --detail full --year 2026 examples/sample.log.gz
  echo; echo "== mailtrail stats"
  "$bin" stats --store "sqlite:$db" | sed -n '/Records by outcome/,$p'
  echo; echo "== mailtrail search --outcome bounced --limit 5"
  "$bin" search --store "sqlite:$db" --outcome bounced --limit 5
  echo; echo "== mailtrail search --outcome rejected --limit 5"
  "$bin" search --store "sqlite:$db" --outcome rejected --limit 5
  local qid
  qid=$("$bin" search --store "sqlite:$db" --outcome expired --limit 100 --format jsonl |
        python3 -c 'import json,sys; print(next(r["qid"] for r in map(json.loads, sys.stdin) if r["ndr_qid"]))')
  echo; echo "== mailtrail show $qid   (an expired message and the NDR it caused)"
  "$bin" show --store "sqlite:$db" "$qid"
  echo; echo "== mailtrail detect: a backscatter flood (examples/backscatter.log.gz, real Postfix 3.7 logs)"
  echo "   the blocks it makes, and what it would push to Postfix and the firewall (dry run)"
  "$bin" detect --year 2026 --allow 127.0.0.1/32 --show-enforcement examples/backscatter.log.gz
  echo; echo "The database is $db; try: $bin search --store sqlite:$db --help"
}

# Says how long a step took (CI's time is budgeted: docs/testing.md).
timed() {
  local start=$SECONDS
  "$@"
  echo "setup: $1 took $((SECONDS - start)) s"
}

run_tests() {
  # The parser, tracker and checkpoint decoders under libFuzzer, ASan and UBSan;
  # then every ctest test (its summary is the last thing printed).
  timed tests/fuzz/run.sh 100000
  (cd "$build_dir" && ctest --output-on-failure -j2)
}

package() {
  # dpkg-buildpackage writes beside and inside the tree it builds: build a copy
  # of the checkout (tracked and new files, as they are now) under the build
  # directory, so the checkout stays clean and the .deb lands in $pkg_dir.
  local pkg_dir=$build_dir/package
  rm -rf "$pkg_dir" && mkdir -p "$pkg_dir/src"
  git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$pkg_dir/src"
  (cd "$pkg_dir/src" &&
   DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2} dpkg-buildpackage -b -us -uc >../build.log 2>&1) ||
    { tail -40 "$pkg_dir/build.log"; echo "setup: package build failed: $pkg_dir/build.log" >&2; exit 1; }
  rm -rf "$pkg_dir/src"
  ls "$pkg_dir"/*.deb
  # No error and no warning (overrides, with their reasons: debian/*.lintian-overrides).
  lintian --fail-on error,warning "$pkg_dir"/*.changes
}

case $job in
  demo) install_missing; build; demo ;;
  test) timed install_missing; timed build; run_tests ;;
  build) install_missing; build ;;
  package) install_missing; package ;;
  *) echo "usage: $0 demo|test|build|package" >&2; exit 2 ;;
esac
