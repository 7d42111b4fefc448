#!/usr/bin/env bash
# The service benchmark of issue #15 (BENCHMARKS.md, docs/service.md):
#   bash tests/bench/service.sh [--records N] [--clients C] [--bin PATH/esms-ledger]
# Signs N solution events once (`sign`, the author's machine), then, in the same run:
#   1. imports them into a fresh ledger with the local command (pre-signed, no key);
#   2. serves a second ledger like it (same origin and keys) on a unix socket and imports
#      the same lines from C clients at once (`import --server`), each a slice;
#   3. while (2) runs, times `state` through the server (whole client process: exec,
#      connect, read, print) and reads the server's own read times from its log;
#   4. (2) and (3) again over TCP with TLS on loopback (a test CA made with openssl).
# Prints records/s of each, their ratio to (1) (goals: >= 80% on the socket, >= 70% with
# TLS), and the read latencies.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
records=20000
clients=32
bin="$root/build/esms-ledger"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d /tmp/esms-service-bench-XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$bin" key new admin --out admin.pem >/dev/null
pub="$("$bin" key new dgos --out dgos.pem --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["publicKey"])')"
enrol="{\"id\": \"key-dgos\", \"type\": \"key.enrolled\", \"at\": \"2023-01-02\", \"data\": {\"name\": \"dgos\", \"publicKey\": \"$pub\", \"roles\": [\"national\"], \"regions\": []}}"
for db in local.db served.db; do
  "$bin" init --origin bench.example/esms --admin-key admin.pem --ledger "$db" >/dev/null
  echo "$enrol" | "$bin" import - --key admin.pem --ledger "$db" >/dev/null
done
python3 - "$records" > events.jsonl <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('{"id": "sol-%d", "type": "solution.referenced", "at": "2023-02-01", "data": {"solution": {"vendor": "Editeur %d", "product": "DUI", "version": "%d.0"}, "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}' % (i, i % 7, i))
PY
"$bin" sign events.jsonl --key dgos.pem --trust served.db/ledger.pub --out signed.jsonl 2>/dev/null
now() { date +%s.%N; }

t0=$(now)
"$bin" import signed.jsonl --ledger local.db >/dev/null
t1=$(now)
local_rate=$(python3 -c "print(round($records / ($t1 - $t0)))")

split -n "l/$clients" -d -a 3 signed.jsonl part-
# A test CA and the server's certificate for the TLS run.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -subj /CN=bench-ca -days 2 >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
  -subj /CN=localhost >/dev/null 2>&1
echo "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1" > san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
  -extfile san.ext >/dev/null 2>&1
cp -r served.db served-tls.db

failed=0
# run_served NAME DB LISTEN [serve options...]: serves DB, imports the slices from
# $clients clients at once while timing `state` reads; prints the figures.
run_served() {
  local name="$1" db="$2" listen="$3"; shift 3
  "$bin" serve --listen "$listen" --no-auth --ledger "$db" "$@" > serve.out 2> "serve-$name.log" &
  server_pid=$!
  for _ in $(seq 200); do grep -q 'listening on' serve.out 2>/dev/null && break; sleep 0.05; done
  local address
  address="$(sed -n 's/^listening on //p' serve.out)"
  local client=(--server "$address")
  [[ "$address" == unix:* ]] || client+=(--tls-ca ca.pem)
  local t0 t1 pids=() p
  t0=$(now)
  for part in part-*; do
    "$bin" import "$part" "${client[@]}" > "$part.out" 2>&1 &
    pids+=($!)
  done
  # Reads while the writes run: whole client processes, one after the other.
  python3 - "$bin" "${client[@]}" > "reads-$name.txt" <<'PY' &
import subprocess, sys, time
bin, args = sys.argv[1], sys.argv[2:]
lat = []
for _ in range(40):
    t = time.monotonic()
    subprocess.run([bin, "state", "P-NONE"] + args, capture_output=True)
    lat.append((time.monotonic() - t) * 1000)
lat.sort()
print("%.1f %.1f" % (lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]))
PY
  local reads_pid=$!
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  t1=$(now)
  wait "$reads_pid"
  local rate
  rate=$(python3 -c "print(round($records / ($t1 - $t0)))")
  local after
  after="$("$bin" verify "${client[@]}" --no-signatures | head -1 | cut -c1-60)"
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
  local p50 p99 s50 s99
  read -r p50 p99 < "reads-$name.txt"
  read -r s50 s99 <<< "$(python3 - "serve-$name.log" <<'PY'
import re, sys
v = sorted(int(m.group(1)) for m in re.finditer(r"read=state exit=\d+ micros=(\d+)", open(sys.argv[1]).read()))
print("%d %d" % (v[len(v) // 2], v[max(0, int(len(v) * 0.99) - 1)]) if v else "- -")
PY
)"
  echo "$clients clients, $name: $rate records/s ($(python3 -c "print(round(100 * $rate / $local_rate))")% of local)"
  echo "  state through the server while writing, whole client process: p50 $p50 ms, p99 $p99 ms"
  echo "  state on the server (writer thread, between commits): p50 $s50 us, p99 $s99 us"
  local a50 a99
  read -r a50 a99 <<< "$(python3 - "serve-$name.log" <<'PY'
import re, sys
v = sorted(int(m.group(1)) for m in re.finditer(r"append lines=\d+ .* ack_micros=(\d+)", open(sys.argv[1]).read()))
print("%d %d" % (v[len(v) // 2] // 1000, v[max(0, int(len(v) * 0.99) - 1)] // 1000) if v else "- -")
PY
)"
  echo "  append acknowledgement (a 1 000-line chunk, arrival to durable answer, at full load): p50 $a50 ms, p99 $a99 ms"
  echo "  after: $after"
}

echo "records: $records, clients: $clients (machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo "local pre-signed import: $local_rate records/s"
run_served "unix socket (goal >= 80%)" served.db "unix:$work/s.sock"
run_served "TLS on loopback (goal >= 70%)" served-tls.db 127.0.0.1:0 --tls-cert srv.pem --tls-key srv.key
[[ $failed == 0 ]] || { echo "a client failed"; exit 1; }
