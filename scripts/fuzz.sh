#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build-fuzz/ and
# runs them, one at a time, each from its seed corpus (tests/fuzz/corpus/).
#
#   scripts/fuzz.sh smoke [SECONDS]   each target for SECONDS (default 20): CI
#   scripts/fuzz.sh long [RUNS]       each target for RUNS executions (default 10000000)
#   scripts/fuzz.sh build             only build
#   scripts/fuzz.sh TARGET [ARGS...]  one target (e.g. url), with libFuzzer's ARGS
#
# Corpora grow in build-fuzz/corpus/<target>; the seeds in the repository are
# not touched. A crash, sanitizer report or broken property stops the run
# with a non-zero status and leaves the input in build-fuzz/findings/: fix
# the code, then add the input to tests/fuzz/corpus/<target>/ as a regression
# seed. Prints, per target: executions, executions per second, coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build="$root/build-fuzz"
targets=(url config sql_lexer sql_split sqlite_complete manifest pg_dump mysql_dump decrypt)

build_targets() {
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DMIGRATE_FUZZ=ON -DMIGRATE_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target fuzz -j"$(nproc)"
}

# run_target NAME ARGS...: fuzzes NAME and prints its summary line.
run_target() {
  local name=$1
  shift
  local corpus="$build/corpus/$name" log="$build/logs/$name.log"
  mkdir -p "$corpus" "$build/findings" "$build/logs"
  local started=$SECONDS status=0
  nice "$build/tests/fuzz/${name}_fuzz" "$corpus" "$root/tests/fuzz/corpus/$name" \
    -timeout=25 -print_final_stats=1 -artifact_prefix="$build/findings/$name-" "$@" \
    >"$log" 2>&1 || status=$?
  local done_line runs speed
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf 'fuzz: %-16s %10s runs %8s exec/s %4ss  %s\n' "$name" "${runs:-?}" "${speed:-?}" \
    "$((SECONDS - started))" "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$done_line" || true)"
  if ((status != 0)); then
    echo "fuzz: $name FAILED (status $status); its log, $log, ends with:" >&2
    tail -40 "$log" >&2
    return 1
  fi
}

mode=${1:-smoke}
case $mode in
  build)
    build_targets
    ;;
  smoke | long)
    build_targets
    if [[ $mode == smoke ]]; then
      args=(-max_total_time="${2:-20}")
    else
      args=(-runs="${2:-10000000}")
    fi
    failed=0
    for name in "${targets[@]}"; do
      run_target "$name" "${args[@]}" || failed=1
    done
    exit "$failed"
    ;;
  *)
    [[ " ${targets[*]} " == *" $mode "* ]] || { echo "fuzz.sh: unknown target or mode '$mode'" >&2; exit 2; }
    build_targets
    shift
    run_target "$mode" "$@"
    ;;
esac
