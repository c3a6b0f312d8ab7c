#!/usr/bin/env bash
# Checks the main job end to end, as a new operator would meet it: `make run` in the
# background (on a fresh data directory and a spare port), then, through the CLI, the
# demo network's balance, a payment, the history, and `tally verify`; then a clean
# stop and a second `make run` on the same data; then a clean stop. Used by CI; bounded in time; prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d /tmp/tally-smoke-XXXXXX)
port=${SMOKE_PORT:-18080}
log="$data.log"
make -s run DATA="$data" LISTEN="127.0.0.1:$port" >"$log" 2>&1 &
runner=$!
cleanup() {
  pkill -TERM -f "tallyd --data $data" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  rm -rf "$data" "$log"
}
trap cleanup EXIT
export TALLY_NODE="http://127.0.0.1:$port" TALLY_HOME="$data/wallet" TALLY_PASSPHRASE=demo-passphrase
tally=build/release/tally
for _ in $(seq 1 240); do
  grep -q "demo network Greenvale (GVH) is ready" "$log" 2>/dev/null && break
  if ! kill -0 "$runner" 2>/dev/null; then echo "smoke: make run stopped:"; cat "$log"; exit 1; fi
  sleep 0.5
done
grep -q "is ready" "$log" || { echo "smoke: the demo network did not appear in 120 s:"; cat "$log"; exit 1; }
echo "smoke: the node serves the demo network"
$tally --key alice balance
$tally --key alice pay bob@greenvale 1.25 --memo "smoke test"
$tally --key alice history greenvale --limit 3
$tally network show greenvale
$tally verify --data "$data"
# A second `make run` on the same data: the chain as it was, and what to type next again.
pkill -TERM -f "tallyd --data $data" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
make -s run DATA="$data" LISTEN="127.0.0.1:$port" >"$log" 2>&1 &
runner=$!
for _ in $(seq 1 240); do
  grep -q "In another terminal, try:" "$log" 2>/dev/null && break
  if ! kill -0 "$runner" 2>/dev/null; then echo "smoke: the second make run stopped:"; cat "$log"; exit 1; fi
  sleep 0.5
done
grep -q "of an earlier run is back" "$log" || { echo "smoke: the second make run did not say what to type next:"; cat "$log"; exit 1; }
$tally --key alice history greenvale --limit 1 | grep -q "smoke test" || { echo "smoke: the payment of the first run is gone"; exit 1; }
echo "smoke: a second make run reuses the chain and says what to type next"
echo "smoke: main job OK"
