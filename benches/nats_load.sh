#!/usr/bin/env bash
# The load figure of README.md, "Through NATS JetStream": batches/s and
# records/s through one nats-server, first published by 4 sensors (no
# server running; each sends CAPTURE RUNS times), then drained by 1 and by
# 2 `netcap server -nats` (a fresh nats-server for each round). About 30 s;
# needs nats-server and a netcap built with `--features nats`. Extra
# server flags in SERVER_FLAGS (e.g. "-nats-batch 256").
#
#   bash benches/nats_load.sh [NETCAP] [CAPTURE] [RUNS]
set -euo pipefail
NETCAP=${1:-target/release/netcap}
CAPTURE=${2:-../shared/bench/base.pcap.gz}
RUNS=${3:-4}
read -r -a server_flags <<<"${SERVER_FLAGS:-}"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
"$NETCAP" server -gen-keypair -out "$tmp/keys" 2>/dev/null

for servers in 1 2; do
  round="$tmp/round$servers"
  mkdir -p "$round"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  nats-server -js -sd "$round/js" -a 127.0.0.1 -p "$port" 2>"$round/nats.log" &
  nats_pid=$!
  pids+=("$nats_pid")
  until grep -q "Server is ready" "$round/nats.log"; do sleep 0.05; done
  url="nats://127.0.0.1:$port"

  start=$(now)
  sensors=()
  for i in 1 2 3 4; do
    for run in $(seq 1 "$RUNS"); do
      "$NETCAP" sensor -pubkey "$tmp/keys/pub.key" -nats "$url" -r "$CAPTURE" -id "s$i" -quiet \
        -out "$round/sensor$i" 2>>"$round/sensor$i.log"
    done &
    sensors+=($!)
  done
  for p in "${sensors[@]}"; do wait "$p"; done
  published=$(now)
  batches=$(cat "$round"/sensor*.log | awk '/netcap sensor: sent /{b+=$4} END{print b}')
  records=$(cat "$round"/sensor*.log | sed -n 's/.*sent [0-9]* batches (\([0-9]*\) records.*/\1/p' | awk '{r+=$1} END{print r}')

  start_drain=$(now)
  for s in $(seq 1 "$servers"); do
    "$NETCAP" server -privkey "$tmp/keys/priv.key" -nats "$url" -out "$round/out$s" -stats-interval 100ms "${server_flags[@]}" \
      2>"$round/server$s.log" &
    pids+=($!)
  done
  while :; do
    done_batches=$(for s in $(seq 1 "$servers"); do
      { grep 'stats:' "$round/server$s.log" || true; } | tail -1 | sed -n 's/.*datagrams=\([0-9]*\).*/\1/p'
    done | awk '{d+=$1} END{print d+0}')
    [ "$done_batches" -ge "$batches" ] && break
    sleep 0.05
  done
  drained=$(now)
  for s in $(seq 1 "$servers"); do kill "${pids[-$s]}"; done
  python3 - "$servers" "$batches" "$records" "$start" "$published" "$start_drain" "$drained" <<'PY'
import sys
servers, batches, records = (int(x) for x in sys.argv[1:4])
start, published, start_drain, drained = (float(x) for x in sys.argv[4:8])
pub, drain = published - start, drained - start_drain
print(f"{servers} server(s): 4 sensors published {batches} batches ({records} records) in {pub:.1f} s "
      f"= {batches/pub:,.0f} batches/s, {records/pub:,.0f} records/s; "
      f"drained in {drain:.1f} s = {batches/drain:,.0f} batches/s, {records/drain:,.0f} records/s")
PY
  kill "$nats_pid"
done
