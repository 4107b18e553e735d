#!/usr/bin/env bash
# README command 1: install what is missing, build, then apply
# examples/migrations to the default database (sqlite:./app.db) and show the
# status.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/migrate up --dir examples/migrations
build/migrate status --dir examples/migrations
