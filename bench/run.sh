#!/usr/bin/env bash
# The Accord benchmark in one command: builds accord_bench (RelWithDebInfo) in
# build/, starts the local Kafka broker when none answers, runs the benchmark
# and stops the broker again if it started it.
#
#   bench/run.sh [N] [accord_bench options...]
#
# N defaults to 1,000,000 events. The broker is deploy/local/kafka.sh on
# 127.0.0.1:$ACCORD_KAFKA_PORT (default 9092; controller port
# $ACCORD_KAFKA_CONTROLLER_PORT, default 9093). Set ACCORD_BENCH_KEEP_KAFKA=1
# to leave a broker this script started running. Further options go to
# accord_bench (see build/accord_bench --help), e.g. --partitions 12.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

EVENTS=1000000
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  EVENTS="$1"
  shift
fi
export ACCORD_KAFKA_PORT="${ACCORD_KAFKA_PORT:-9092}"
export ACCORD_KAFKA_CONTROLLER_PORT="${ACCORD_KAFKA_CONTROLLER_PORT:-$((ACCORD_KAFKA_PORT + 1))}"
BOOTSTRAP="127.0.0.1:$ACCORD_KAFKA_PORT"

echo "== building accord_bench (RelWithDebInfo) in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCORD_BENCH=ON >/dev/null
ninja -C build accord_bench

started_kafka=0
if ! deploy/local/kafka.sh status >/dev/null 2>&1; then
  echo "== starting Kafka on $BOOTSTRAP"
  deploy/local/kafka.sh start
  started_kafka=1
fi
stop_kafka() {
  if [[ $started_kafka == 1 && "${ACCORD_BENCH_KEEP_KAFKA:-0}" != 1 ]]; then
    echo "== stopping the Kafka broker this run started"
    deploy/local/kafka.sh stop >/dev/null || true
  fi
}
trap stop_kafka EXIT

echo "== source: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- domain io app connectors services cmd proto 2>/dev/null || echo ' + uncommitted changes in the sources')"
echo "== build/accord_bench --events $EVENTS --bootstrap $BOOTSTRAP $*"
build/accord_bench --events "$EVENTS" --bootstrap "$BOOTSTRAP" "$@"
