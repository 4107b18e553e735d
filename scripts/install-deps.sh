#!/usr/bin/env bash
# Installs the Debian packages migrate needs to build and test, skipping what
# is already there. With --servers, also the PostgreSQL and MariaDB servers
# used by the integration tests. Runs apt-get as root, or through sudo.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libsoci-dev libboost-dev libcli11-dev libpq-dev libmariadb-dev libsqlite3-dev
  libssl-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libzstd-dev libxxhash-dev libexpected-dev
  mariadb-client
  googletest libgtest-dev libgmock-dev sqlite3
  clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh)
  clang-format clang-tidy  # scripts/lint.sh
  zsh fish  # the completion tests run the shells themselves
)
if [[ "${1:-}" == "--servers" ]]; then
  packages+=(postgresql mariadb-server)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
