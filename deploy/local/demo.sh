#!/usr/bin/env bash
# Accord's main job end to end on the embedded default, from a fresh Debian 12
# machine: installs what is missing, builds `accord`, starts the local Kafka
# (deploy/local/kafka.sh), imports the bundled sample (German contacts from a
# marketing tool and a CRM, campaigns, deals, engagement, orders, sales'
# decisions on leads), folds it into RocksDB under var/demo/state and prints
# what it folded, rebuilds the state of June 2024 and of now from the history
# alone (accord replay) and checks the latter against the live state, then runs the feedback service with the rules of
# deploy/local/accord.yaml (scores, handovers, campaign effectiveness, and
# reactivation candidates as of a tick on 1 January 2026), delivers its events
# to var/demo/feedback.jsonl and prints the campaign ranking. Kafka keeps running afterwards so
# the state and topics can be explored; stop it with deploy/local/kafka.sh stop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

deploy/local/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target accord
accord=build/accord

deploy/local/kafka.sh start
export ACCORD_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${ACCORD_KAFKA_PORT:-9092}"

sample=deploy/local/sample
demo=var/demo
rm -rf "$demo"
mkdir -p "$demo"

echo
echo "== import (bad rows go to $demo/*.rejects.csv)"
# Each source is imported as its own run; the contacts file holds three
# deliberately broken rows, which are rejected with line and reason.
"$accord" --log-level error import csv --kind contacts "$sample/contacts.csv" \
  --reject-file "$demo/contacts.rejects.csv"
"$accord" --log-level error import csv --kind campaigns "$sample/campaigns.csv" \
  --reject-file "$demo/campaigns.rejects.csv"
for kind in engagement lead-decisions deals orders; do
  "$accord" --log-level error import csv --kind "$kind" "$sample/${kind//-/_}.csv" \
    --reject-file "$demo/$kind.rejects.csv"
done

echo
echo "== project into $demo/state"
"$accord" --log-level warn project --db "$demo/state" --group-id accord-demo --until-caught-up \
  --http-listen ""

echo
echo "== what was folded"
"$accord" query summary --db "$demo/state" --limit 2

echo
echo "== one customer known to marketing and sales, asked for as ' K.Hahn@OS-Papier.de '"
"$accord" query customer --db "$demo/state" --email ' K.Hahn@OS-Papier.de '

echo
echo "== the history alone rebuilds any moment: the state as it was at the end of June 2024"
"$accord" --log-level warn replay --db "$demo/replay-2024-06-30" --until 2024-06-30T23:59:59Z
"$accord" query summary --db "$demo/replay-2024-06-30" --limit 0

echo
echo "== and a replay of everything equals the live state"
"$accord" --log-level warn replay --db "$demo/replay"
"$accord" diff --db "$demo/state" --db "$demo/replay"

echo
echo "== let time pass to 1 January 2026, for reactivation"
"$accord" --log-level warn tick --at 2026-01-01T00:00:00Z

echo
echo "== the feedback service (rules of deploy/local/accord.yaml) into $demo/feedback"
"$accord" --config deploy/local/accord.yaml --log-level warn feedback --db "$demo/feedback" \
  --group-id accord-demo-feedback --until-caught-up --http-listen ""

echo
echo "== deliver the feedback events to $demo/feedback.jsonl"
"$accord" --config deploy/local/accord.yaml --log-level warn sink jsonl --path "$demo/feedback.jsonl" \
  --group-id "accord-demo-sink-$(date +%s)" --ledger "$demo/sink-ledger" --until-caught-up
echo "$(wc -l < "$demo/feedback.jsonl") lines; by kind:"
grep -o '"type":"[a-z_]*"' "$demo/feedback.jsonl" | sort | uniq -c

echo
echo "== the three most effective campaigns (linear attribution), as GET /v1/campaigns serves them"
"$accord" query campaigns --db "$demo/feedback" --model linear --limit 3

echo
echo "== the most valuable customer to win back, as GET /v1/reactivation serves it"
"$accord" query reactivation --db "$demo/feedback" --limit 1

echo
echo "Kafka is still running on $ACCORD_KAFKA_BOOTSTRAP_SERVERS; stop it with deploy/local/kafka.sh stop"
