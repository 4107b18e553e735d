#!/usr/bin/env bash
# README command 2: install what is missing (servers included), build, and
# run every test. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --servers
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 600
