#!/usr/bin/env bash
# README command 2: install what is missing (servers included), build, lint
# (scripts/lint.sh), and run every test: the suite, the suite under
# ASan+UBSan, and the fuzz targets' smoke runs. CI runs exactly this (.ci/run).
#
# The PostgreSQL and MariaDB tests run against throwaway servers that
# scripts/test-servers.sh starts before ctest and stops afterwards, whatever
# happens. Where a server cannot start, CI (CI=true) fails; a local run warns
# and its tests of that server skip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh --servers
scripts/build.sh
# Formatting and clang-tidy (scripts/lint.sh) first: they fail in minutes.
scripts/lint.sh

servers="$root/scripts/test-servers.sh"
servers_env="${MIGRATE_TEST_SERVERS_DIR:-/tmp/migrate-test-servers}/env"
# Servers that already ran (started by hand with test-servers.sh) keep
# running afterwards; the ones started here are stopped, whatever happens.
# The EXIT trap keeps the exit status (ctest's); INT/TERM go through it too.
ours=()
for server in postgres mariadb; do
  "$servers" status "$server" | grep -q ': running' || ours+=("$server")
done
stop_ours() {
  local server
  for server in "${ours[@]}"; do
    "$servers" stop "$server" || echo "test.sh: warning: stopping the $server test server failed" >&2
  done
}
trap stop_ours EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ! "$servers" start; then
  if [[ ${CI:-} == "true" ]]; then
    echo "test.sh: error: the database test servers did not start, and CI needs them" >&2
    exit 1
  fi
  echo "test.sh: warning: not every database test server started; its tests will be skipped" >&2
fi
if [[ -f $servers_env ]]; then
  # shellcheck source=/dev/null
  source "$servers_env"
fi

(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600)

# The same suite again under AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/), then each fuzz target for a few seconds from its seeds
# (build-fuzz/, clang). Either fails the run on any finding.
scripts/sanitize.sh
scripts/fuzz.sh smoke "${MIGRATE_FUZZ_SECONDS:-20}"
