#!/usr/bin/env bash
# Fails when a source file includes upwards across Accord's layers
# (docs/architecture.md):
#
#   proto <- domain <- io <- app <- connectors | services <- cmd, bench, tests
#
# A folder may include its own layer and the ones below it; connectors and
# services are siblings and never include each other. The domain is the pure
# fold: outside its tests it includes no Kafka, RocksDB, HTTP, logging, file,
# thread, clock or randomness.
#
#   tests/architecture/check_layers.sh [SOURCE_ROOT]
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$root"

rank() {
  case "$1" in
    proto | accord) echo 0 ;; # accord/...: the generated protobuf headers
    domain) echo 1 ;;
    io) echo 2 ;;
    app) echo 3 ;;
    connectors | services) echo 4 ;;
    *) echo 5 ;;
  esac
}

violations=0
report() {
  echo "$1" >&2
  violations=$((violations + 1))
}

while IFS= read -r file; do
  from="${file%%/*}"
  from_rank="$(rank "$from")"
  while IFS= read -r line; do
    number="${line%%:*}"
    target="${line#*:}"
    target="${target#*\"}"
    target="${target%%\"*}"
    to="${target%%/*}"
    [[ "$target" == */* ]] || continue
    [[ "$to" == "$from" ]] && continue
    to_rank="$(rank "$to")"
    if ((to_rank > from_rank)) || { ((to_rank == from_rank)) && ((from_rank == 4)); }; then
      report "$file:$number: $from must not include $target (layer $to)"
    fi
  done < <(grep -n '^#include "' "$file" || true)
done < <(find domain io app connectors services -name '*.h' -o -name '*.cc' | sort)

# What makes the domain pure: checked in its code, not in its tests.
forbidden_in_domain='#include <(librdkafka|rocksdb|boost|httplib|spdlog|yaml-cpp|nlohmann|CLI)|#include <(thread|random|fstream|filesystem|iostream|mutex|future)>|_clock::now|getenv|\brand\(|\btime\(nullptr\)'
while IFS= read -r hit; do
  report "$hit: the domain stays pure (no I/O, clock or randomness)"
done < <(find domain -name '*.h' -o -name '*.cc' | grep -v -e '_test\.cc$' -e '/testing/' | sort |
  xargs grep -n -E "$forbidden_in_domain" || true)

if ((violations > 0)); then
  echo "$violations layer violation(s); see docs/architecture.md" >&2
  exit 1
fi
echo "layers respected: proto <- domain <- io <- app <- connectors | services"
