#!/usr/bin/env bash
# Checks the main job end to end, as a new operator would meet it: `make run` in the
# background (on a fresh data directory and a spare port), then, through the CLI, the
# demo network's balance, a payment, the history, and `tally verify`; then a clean
# stop and a second `make run` on the same data; then a clean stop; then the README's
# dev-chain tour on `tallyd --dev`. Used by CI; bounded in time; prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d /tmp/tally-smoke-XXXXXX)
port=${SMOKE_PORT:-18080}
log="$data.log"
make -s run DATA="$data" LISTEN="127.0.0.1:$port" >"$log" 2>&1 &
runner=$!
cleanup() {
  kill -TERM "$runner" 2>/dev/null || true
  pkill -TERM -f "tallyd --data $data" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  rm -rf "$data" "$log"
}
trap cleanup EXIT
export TALLY_NODE="http://127.0.0.1:$port" TALLY_HOME="$data/wallet" TALLY_PASSPHRASE=demo-passphrase
tally=build/release/tally
# Waits until the log of `make run` ($runner) says $1; $2 names the start in errors. A
# loaded CI machine may take minutes to start the node (make checks the build first):
# up to 5 minutes for each start.
wait_for_log() {
  for _ in $(seq 1 600); do
    grep -q "$1" "$log" 2>/dev/null && return 0
    if ! kill -0 "$runner" 2>/dev/null; then echo "smoke: $2 stopped:"; cat "$log"; exit 1; fi
    sleep 0.5
  done
  echo "smoke: $2 did not print '$1' in 300 s:"; cat "$log"; ps -ef | grep -E "make|tallyd" | grep -v grep; exit 1
}
wait_for_log "demo network Greenvale (GVH) is ready" "make run"
echo "smoke: the node serves the demo network"
$tally --key alice balance
$tally --key alice pay bob@greenvale 1.25 --memo "smoke test"
$tally --key alice history greenvale --limit 3
$tally network show greenvale
# Three networks and their gateways: a path, a payment over it, a settlement, health
$tally gateway list | grep -q "gateway 2: Riverside (RVS) <-> Hilltop (HLT), open" || { echo "smoke: no gateways in the demo"; exit 1; }
$tally paths alice@greenvale frank@hilltop 10
$tally --key alice pay alice@greenvale frank@hilltop 10 | grep -q "frank@Hilltop received" || { echo "smoke: no payment across"; exit 1; }
$tally --key operator gateway settle 1 5.00 --network greenvale | grep -q "fell by 5.00 RVS" || { echo "smoke: no settlement"; exit 1; }
$tally network health greenvale
# The marketplace: the demo's listings found, an order placed, accepted and confirmed
found=no
for _ in $(seq 1 20); do   # the index follows the chain within moments
  $tally market search greenvale egg | grep -q "Fresh eggs, a dozen" && { found=yes; break; }
  sleep 0.5
done
[ "$found" = yes ] || { echo "smoke: no listings in the demo"; exit 1; }
order=$($tally --key carol market order 1 --quantity 2 | sed -n 's/^ordered 2 of listing 1 (order \([0-9]*\)): 25.00 GVH and a fee of .*/\1/p')
[ -n "$order" ] || { echo "smoke: no order"; exit 1; }
$tally --key bob market accept "$order" >/dev/null || { echo "smoke: the order was not accepted"; exit 1; }
$tally --key carol market confirm "$order" | grep -q "the seller is paid" || { echo "smoke: the order was not paid"; exit 1; }
$tally verify --data "$data"
# A second `make run` on the same data: the chain as it was, and what to type next again.
pkill -TERM -f "tallyd --data $data" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
# Emptied here, not by the background job's own redirection: that one runs in the job
# after the fork, so the wait below could otherwise still read the first run's log.
: >"$log"
make -s run DATA="$data" LISTEN="127.0.0.1:$port" >>"$log" 2>&1 &
runner=$!
wait_for_log "In another terminal, try:" "the second make run"
grep -q "of an earlier run is back" "$log" || { echo "smoke: the second make run did not say what to type next:"; cat "$log"; exit 1; }
$tally --key alice history greenvale --limit 5 | grep -q "smoke test" || { echo "smoke: the payment of the first run is gone"; exit 1; }
echo "smoke: a second make run reuses the chain and says what to type next"
echo "smoke: main job OK"

# The README's dev-chain tour: a credit period, its grace and a default in seconds.
pkill -TERM -f "tallyd --data $data" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
dev="$data/dev"
dev_port=$((port + 1))
build/release/tallyd --dev --quiet --data "$dev" --listen "127.0.0.1:$dev_port" &
runner=$!
export TALLY_NODE="http://127.0.0.1:$dev_port" TALLY_HOME="$dev/wallet" TALLY_PASSPHRASE=try-it-out
for _ in $(seq 1 100); do $tally status >/dev/null 2>&1 && break; sleep 0.2; done
$tally status | grep -q "dev chain   yes" || { echo "smoke: tallyd --dev made no dev chain"; exit 1; }
t=$tally
$t key new op && $t key new carol && $t key new bob
$t --key op network create Valley VLY --fee-bps 0
$t --key carol member join valley && $t --key carol alias set valley carol
$t --key bob member join valley && $t --key bob alias set valley bob
$t --key op line open valley carol 50 --period-days 90 --grace-days 30
$t --key carol pay bob@valley 7.09 --memo "seed potatoes"
$t dev advance 90d
wait_history() {
  for _ in $(seq 1 50); do $t --key carol history valley | grep -q "$1" && return 0; sleep 0.1; done
  echo "smoke: carol's history does not show $1:"; $t --key carol history valley; exit 1
}
wait_history "line frozen until .*: balance -7.09 VLY"
if $t --key carol pay bob@valley 1 2>"$data.err"; then echo "smoke: a frozen line lent"; exit 1; fi
grep -q "(LINE_FROZEN)" "$data.err" || { echo "smoke: not refused as LINE_FROZEN:"; cat "$data.err"; exit 1; }
$t dev advance 30d
wait_history "defaulted: 7.09 VLY of debt written off"
$t --key carol history valley
$t --key op member reinstate valley carol && $t --key op line open valley carol 20
$t verify --data "$dev" | grep -q "dev chain   yes" || { echo "smoke: verify does not say it is a dev chain"; exit 1; }
rm -f "$data.err"
echo "smoke: the dev chain tour (a period, its grace and a default) OK"
