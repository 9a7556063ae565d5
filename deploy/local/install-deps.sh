#!/usr/bin/env bash
# Installs what building, running and testing Accord needs on Debian 12, from
# Debian's packages. Does nothing (and needs no network) when all are there.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config make
  libabsl-dev librdkafka-dev librocksdb-dev libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libssl-dev
  libcpp-httplib-dev libboost-dev libjemalloc-dev
  libgtest-dev libgmock-dev
  clang clang-format libclang-rt-14-dev
  maven openjdk-17-jdk-headless
  postgresql-15 postgresql-client-15 libpq-dev
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
