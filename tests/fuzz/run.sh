#!/usr/bin/env bash
# Runs every libFuzzer target for a while on a scratch copy of its seed corpus
# (the repository is never modified) and fails when any target finds a crash,
# leak, timeout, out-of-memory or sanitizer report.
#
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]      (SECONDS per target, default 60)
#
# BUILD_DIR must be configured for fuzzing, for example:
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DACCORD_FUZZ=ON -DACCORD_TESTS=OFF
#   ninja -C build-fuzz
#
# Crash inputs are kept in BUILD_DIR/fuzz-artifacts/<target>/; reproduce one
# with `BUILD_DIR/tests/fuzz/<target> FILE`. ACCORD_FUZZ_CONTRACTS=0 limits
# fuzz_csv to crash checks (see fuzz_csv.cc). Extra libFuzzer flags can be
# given in ACCORD_FUZZ_FLAGS, e.g. ACCORD_FUZZ_FLAGS=-jobs=2.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [SECONDS]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
# Every target has a seed corpus of its own under corpus/.
mapfile -t targets < <(ls "$here/corpus")

for target in "${targets[@]}"; do
  if [[ ! -x $build/tests/fuzz/$target ]]; then
    echo "missing $build/tests/fuzz/$target: configure with -DACCORD_FUZZ=ON" \
      "-DCMAKE_CXX_COMPILER=clang++ and build it" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/accord-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
for target in "${targets[@]}"; do
  dir=$work/$target
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
  cp "$here/corpus/$target/"* "$dir/corpus/"
  flags=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$dir/artifacts/")
  [[ -f $here/$target.dict ]] && flags+=(-dict="$here/$target.dict")
  # shellcheck disable=SC2206 # word splitting of the extra flags is intended
  flags+=(${ACCORD_FUZZ_FLAGS:-})
  echo "== $target: ${seconds}s"
  status=0
  (cd "$dir" && TMPDIR=$dir/tmp "$build/tests/fuzz/$target" "${flags[@]}" corpus) \
    > "$dir/log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$dir/log" || true
  if [[ $status -ne 0 ]] || compgen -G "$dir/artifacts/*" > /dev/null; then
    failed+=("$target")
    keep=$build/fuzz-artifacts/$target
    mkdir -p "$keep"
    cp "$dir"/artifacts/* "$keep/" 2>/dev/null || true
    cp "$dir/log" "$keep/log.txt"
    echo "!! $target failed (exit $status); inputs and log in $keep" >&2
    grep -E -A3 'ERROR:|runtime error|SUMMARY|fuzz_[a-z_]+: ' "$dir/log" | head -40 >&2 || true
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without findings"
