#!/usr/bin/env bash
# Static checks, run by scripts/test.sh after the build:
#   1. clang-format: every .cc/.h of ours is formatted as .clang-format says
#      (fix: clang-format -i $(git ls-files '*.cc' '*.h'));
#   2. clang-tidy (.clang-tidy) over src/, with build/compile_commands.json.
# Either fails the run on any finding.
#
#   scripts/lint.sh [BUILD_DIR]   default build/
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-$root/build}

mapfile -t sources < <(git ls-files -- '*.cc' '*.h' | grep -E '^(src|include|tests|bench|examples)/')
clang-format --dry-run -Werror "${sources[@]}"

[[ -f $build/compile_commands.json ]] || {
  echo "lint.sh: $build/compile_commands.json is missing: build first (scripts/build.sh)" >&2
  exit 2
}
status=0
run-clang-tidy -quiet -p "$build" -j "$(nproc)" "^$root/src/.*\.cc\$" >"$build/clang-tidy.log" 2>&1 ||
  status=$?
# Findings that .clang-tidy does not (yet) make fatal are shown all the same.
grep -E 'warning:' "$build/clang-tidy.log" | sort -u >&2 || true
if ((status != 0)); then
  grep -E 'error:' "$build/clang-tidy.log" | sort -u >&2
  echo "lint.sh: clang-tidy found the problems above (full log: $build/clang-tidy.log)" >&2
  exit 1
fi
