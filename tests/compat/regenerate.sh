#!/usr/bin/env bash
# How the binary schema-compatibility fixtures were made.
#
# ##########################################################################
# #  NEVER REGENERATE AN EXISTING .binpb AFTER IT HAS BEEN RELEASED.       #
# #                                                                        #
# #  The .binpb files are the OLD DATA: bytes exactly as an Accord release #
# #  wrote them to Kafka. event_fixtures_test.cc proves that today's code  #
# #  still reads them. Re-encoding them with today's protoc and today's    #
# #  .proto files would only prove that the code reads its own output,     #
# #  which hides every incompatible schema change the test exists to       #
# #  catch. When the test fails, fix the schema or the code, not the       #
# #  fixture.                                                              #
# ##########################################################################
#
# This script therefore only encodes .txtpb files that have no .binpb yet
# (a fixture for a new payload kind, or a new events_vN directory for a new
# schema_version), and refuses to touch existing binaries.
#
# The .txtpb files are the readable description of the same event. If a
# field is renamed (wire compatible, but text format is by name), edit the
# .txtpb; never the .binpb.
#
# Usage: tests/compat/regenerate.sh [FIXTURE_DIR]   (default: events_v1)
# Needs protoc (protobuf-compiler) and runs from anywhere.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/tests/compat/events_v1}
[[ -d $dir ]] || { echo "no fixture directory $dir" >&2; exit 2; }

made=0
for text in "$dir"/*.txtpb; do
  binary=${text%.txtpb}.binpb
  if [[ -e $binary ]]; then
    echo "kept    $(basename "$binary") (released data is never regenerated)"
    continue
  fi
  protoc --encode=accord.v1.Event -I "$root/proto" "$root/proto/accord/v1/event.proto" \
    < "$text" > "$binary.tmp"
  mv "$binary.tmp" "$binary"
  echo "encoded $(basename "$binary")"
  made=$((made + 1))
done
echo "$made new fixture(s); commit them together with their .txtpb"
