#!/usr/bin/env bash
# Shows that check_layers.sh accepts includes that go down and refuses each
# kind of violation, on small trees built here.
set -euo pipefail
check="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/check_layers.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A tree whose includes all go down; $1 adds one more file ("path:line").
tree() {
  rm -rf "$work/tree"
  mkdir -p "$work/tree"/{domain/fold,io/store,app/config,connectors/publish,services/project}
  echo '#include "accord/v1/event.pb.h"' >"$work/tree/domain/fold/fold.h"
  echo '#include "domain/fold/fold.h"' >"$work/tree/io/store/store.h"
  echo '#include "io/store/store.h"' >"$work/tree/app/config/config.h"
  echo '#include "app/config/config.h"' >"$work/tree/connectors/publish/sink.h"
  echo '#include "app/config/config.h"' >"$work/tree/services/project/projector.h"
  echo '#include <thread>' >"$work/tree/domain/fold/fold_test.cc"
  if [[ $# -gt 0 ]]; then
    mkdir -p "$(dirname "$work/tree/${1%%:*}")"
    echo "${1#*:}" >"$work/tree/${1%%:*}"
  fi
}

failures=0
expect() {
  local want="$1" case="$2"
  shift 2
  tree "$@"
  if "$check" "$work/tree" >"$work/out" 2>&1; then got=pass; else got=fail; fi
  if [[ "$got" != "$want" ]]; then
    echo "FAIL: $case: expected $want, got $got" >&2
    cat "$work/out" >&2
    failures=$((failures + 1))
  fi
}

expect pass "includes going down"
expect fail "domain including io" 'domain/fold/shard.h:#include "io/store/store.h"'
expect fail "io including app" 'io/kafka/client.h:#include "app/config/config.h"'
expect fail "connectors including services" 'connectors/webhook/server.cc:#include "services/api/routes.h"'
expect fail "services including connectors" 'services/api/routes.cc:#include "connectors/publish/sink.h"'
expect fail "the domain opening a thread" 'domain/fold/fold.cc:#include <thread>'
expect fail "the domain reading the clock" 'domain/feedback/score.cc:auto now = std::chrono::system_clock::now();'
expect pass "tests of the domain may use threads" 'domain/fold/testing/cluster.h:#include <random>'

if ((failures > 0)); then exit 1; fi
echo "check_layers.sh: every case as expected"
