#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   1. installs what is missing (Debian packages; Kafka jars via Maven on first use),
#   2. runs every fuzz target for ACCORD_FUZZ_SECONDS (default 60) each,
#   3. builds the unit tests with AddressSanitizer + UBSan and runs them,
#   4. builds everything (-Wall -Wextra -Werror) and runs unit and integration
#      tests under ctest; ctest starts and stops its own Kafka broker on
#      127.0.0.1:19092 (ACCORD_TEST_KAFKA_PORT), beside any demo broker, and
#      for the change-data-capture tests a PostgreSQL on 127.0.0.1:15432
#      (ACCORD_TEST_PG_PORT).
# Build trees: build/, build-asan/, build-fuzz/ (git-ignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deploy/local/install-deps.sh
jobs="$(nproc)"
fuzz_seconds="${ACCORD_FUZZ_SECONDS:-60}"

step() { printf '\n=== %s\n' "$*"; }

step "fuzz targets, ${fuzz_seconds} s each"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DACCORD_FUZZ=ON -DACCORD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$jobs"
tests/fuzz/run.sh build-fuzz "$fuzz_seconds"

step "unit tests under AddressSanitizer + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DACCORD_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" --target accord_unit_tests
(cd build-asan && ctest -L unit -j "$jobs" --output-on-failure)

step "build and run unit + integration tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
cd build
ctest -j "$jobs" --output-on-failure
