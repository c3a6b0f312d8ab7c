#!/usr/bin/env bash
# A chain of three validators on this machine, for anyone to try (docs/VALIDATORS.md):
# three etcd members and three tallyd validators on loopback, each pair with its own
# data directory under $CLUSTER_DIR (default ./cluster).
#
#   scripts/cluster.sh up       start them (the first time: keys, the genesis, a network)
#   scripts/cluster.sh status   who proposes, each validator's height and state hash
#   scripts/cluster.sh down     stop them (the data stays: `up` again goes on from it)
#   scripts/cluster.sh kill N   SIGKILL validator N and its etcd member, to watch a failover
#
# Ports: etcd clients $ETCD_BASE+1..3 (default 32380), etcd peers $ETCD_BASE+11..13,
# validators' API $API_BASE+1..3 (default 8180). Needs etcd (Debian's etcd-server,
# installed by scripts/install-deps.sh) and the release build (make).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CLUSTER_DIR:-./cluster}
etcd_base=${ETCD_BASE:-32380}
api_base=${API_BASE:-8180}
tallyd=build/release/tallyd
tally=build/release/tally
count=3

etcd_urls() {
  local urls=""
  for i in $(seq 1 $count); do urls+="${urls:+,}http://127.0.0.1:$((etcd_base + i))"; done
  echo "$urls"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_etcd() {
  local i=$1 peers=""
  for j in $(seq 1 $count); do peers+="${peers:+,}e$j=http://127.0.0.1:$((etcd_base + 10 + j))"; done
  local state=new
  [ -d "$dir/etcd$i/member" ] && state=existing
  etcd --name "e$i" --data-dir "$dir/etcd$i" \
    --listen-client-urls "http://127.0.0.1:$((etcd_base + i))" --advertise-client-urls "http://127.0.0.1:$((etcd_base + i))" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_base + 10 + i))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_base + 10 + i))" \
    --initial-cluster "$peers" --initial-cluster-state "$state" --initial-cluster-token tally-cluster \
    --heartbeat-interval 100 --election-timeout 1000 >"$dir/etcd$i.log" 2>&1 &
  echo $! >"$dir/etcd$i.pid"
}

start_validator() {
  local i=$1; shift
  "$tallyd" --data "$dir/v$i" --listen "127.0.0.1:$((api_base + i))" --validator --etcd "$(etcd_urls)" "$@" \
    >>"$dir/v$i.log" 2>&1 &
  echo $! >"$dir/v$i.pid"
}

wait_api() {
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((api_base + $1))/v1/status" >/dev/null && return 0; sleep 0.2; done
  echo "cluster: validator $1 did not start; its log:"; tail -20 "$dir/v$1.log"; return 1
}

up() {
  command -v etcd >/dev/null || { echo "cluster: etcd is not installed: run scripts/install-deps.sh"; exit 1; }
  [ -x "$tallyd" ] || make -s all
  mkdir -p "$dir"
  for i in $(seq 1 $count); do alive "$dir/etcd$i.pid" || start_etcd "$i"; done
  for _ in $(seq 1 100); do
    ETCDCTL_API=3 etcdctl --endpoints "$(etcd_urls)" endpoint health >/dev/null 2>&1 && break
    sleep 0.2
  done
  local first=no
  if [ ! -s "$dir/v1/blocks.log" ]; then
    first=yes
    local addresses=""
    for i in $(seq 1 $count); do addresses+="${addresses:+,}$("$tallyd" --data "$dir/v$i" --validator-key)"; done
    echo "cluster: a new chain with validators $addresses"
    start_validator 1 --genesis-validators "$addresses" --chain-name tally-cluster
    wait_api 1
  fi
  for i in $(seq 1 $count); do alive "$dir/v$i.pid" || start_validator "$i"; done
  for i in $(seq 1 $count); do wait_api "$i"; done
  if [ "$first" = yes ]; then
    # A network, so there is something to pay with.
    export TALLY_HOME="$dir/wallet" TALLY_PASSPHRASE=cluster-passphrase TALLY_NODE="http://127.0.0.1:$((api_base + 2))"
    for who in operator alice bob; do $tally key new "$who" >/dev/null 2>&1; done
    $tally --key operator network create Cluster CLU >/dev/null
    for who in alice bob; do
      $tally --key operator member admit cluster "$($tally key show "$who")" >/dev/null
      $tally --key operator line open cluster "$($tally key show "$who")" 100 >/dev/null
    done
    $tally --key alice pay "$($tally key show bob)@cluster" 12.50 --memo "the cluster's first payment" >/dev/null
    echo "cluster: network Cluster (CLU) with alice and bob (lines of 100.00); alice paid bob 12.50"
  fi
  status
  cat <<EOF

In another terminal, try:
  export TALLY_HOME=$dir/wallet TALLY_PASSPHRASE=cluster-passphrase TALLY_NODE=http://127.0.0.1:$((api_base + 3))
  $tally --key alice balance                  # asked of validator 3; any validator answers
  $tally --key bob pay "\$($tally key show alice)@cluster" 5   # sent to validator 3, forwarded to the proposer
  scripts/cluster.sh kill 1                    # the proposer (often) dies; another takes over in ~2 s
  scripts/cluster.sh status
  $tally verify --node http://127.0.0.1:$((api_base + 2))
EOF
}

status() {
  for i in $(seq 1 $count); do
    local url="http://127.0.0.1:$((api_base + i))" line
    if line=$(curl -sf "$url/v1/status" 2>/dev/null); then
      python3 - "$i" "$url" "$line" <<'PY'
import json, sys
i, url, s = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
v = s.get("validator", {})
role = "HALTED" if v.get("halted") else ("proposer" if v.get("proposer") else "follower")
print(f"validator {i} ({url}): {role:8}  height {s['height']:>6}  state {s['state_hash'][:16]}  lease moved {v.get('lease_changes', 0)}x")
PY
    else
      echo "validator $i (http://127.0.0.1:$((api_base + i))): down"
    fi
  done
  ETCDCTL_API=3 etcdctl --endpoints "$(etcd_urls)" endpoint status -w table 2>/dev/null || echo "etcd: no member answers"
}

stop_one() { if alive "$1"; then kill -"$2" "$(cat "$1")" 2>/dev/null || true; fi; }

down() {
  for i in $(seq 1 $count); do stop_one "$dir/v$i.pid" TERM; done
  sleep 1
  for i in $(seq 1 $count); do stop_one "$dir/etcd$i.pid" TERM; done
  echo "cluster: stopped (data kept in $dir; 'scripts/cluster.sh up' goes on from it, rm -rf $dir starts afresh)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill)
    n=${2:?which validator: 1..3}
    stop_one "$dir/v$n.pid" KILL
    stop_one "$dir/etcd$n.pid" KILL
    echo "cluster: SIGKILL to validator $n and etcd member $n; 'scripts/cluster.sh up' starts them again"
    ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
