#!/usr/bin/env bash
# Builds migrate and its tests with AddressSanitizer and UndefinedBehavior-
# Sanitizer into build-asan/ and runs the whole suite there: the library,
# the tests and the `migrate` binary the CLI tests run are all instrumented.
# A finding aborts the process that made it, so the test fails and ctest
# prints the report. The database servers are the caller's (scripts/test.sh
# starts them and exports their URLs).
#
#   scripts/sanitize.sh [CTEST_ARGS...]   e.g. -R 'Url|Manifest'
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build="$root/build-asan"

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# -O1: the usual sanitizer trade between build time, speed and clear stacks;
# no -DNDEBUG, so assertions run too.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
  -DCMAKE_C_FLAGS_RELEASE=-O1 -DMIGRATE_SANITIZE=address,undefined "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"

# verify_asan_link_order=0: the full-disk tests preload tests/support's
# ENOSPC shim, which then comes before the ASan runtime.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:verify_asan_link_order=0:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
