#!/usr/bin/env bash
# The service benchmark of issue #15 (BENCHMARKS.md, docs/service.md):
#   bash tests/bench/service.sh [--records N] [--clients C] [--bin PATH/esms-ledger]
# The ledger is the demo's (seed 2024, 150 establishments: its projects, ~5 100 records);
# N solution events are signed once (`sign`, the author's machine, with the demo's
# national key), then, in the same run:
#   1. imports them into a copy of the ledger with the local command (pre-signed, no key);
#   2. serves a second copy on a unix socket and imports the same lines from C clients at
#      once (`import --server`, each a slice: the full rate);
#   3. while (2) runs, reads through the server from a long-lived client
#      (esms-service-bench reads: connected once, `state` and `check` of the demo's project
#      bzh-2023-0001 in turn, each call timed), and times `state` as a whole client process
#      (exec, connect, login, read, print) as an extra line;
#   4. serves a third copy and appends the lines at half the rate (2) reached, from C
#      long-lived clients in chunks of 100 lines on a fixed schedule
#      (esms-service-bench append --rate): the acknowledgement latency of a chunk;
#   5. (2) and (3) again over TCP with TLS on loopback (a test CA made with openssl).
# Prints records/s of each, their ratio to (1) (goals: >= 80% on the socket, >= 70% with
# TLS), the latencies, and the machine's load (`uptime`) beside each.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
records=20000
clients=32
bin="$root/build/esms-ledger"
bench=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --bench) bench="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin="$(realpath "$bin")"
[[ -n "$bench" ]] || bench="$(dirname "$bin")/esms-service-bench"
bench="$(realpath "$bench")"
work="$(mktemp -d /tmp/esms-service-bench-XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$bin" demo --dir demo --establishments 150 --seed 2024 >/dev/null
for db in local.db served.db served-tls.db served-ack.db; do cp -r demo/ledger "$db"; done
project=bzh-2023-0001
python3 - "$records" > events.jsonl <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('{"id": "sol-%d", "type": "solution.referenced", "at": "2023-02-01", "data": {"solution": {"vendor": "Editeur %d", "product": "DUI", "version": "%d.0"}, "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}' % (i, i % 7, i))
PY
"$bin" sign events.jsonl --key demo/keys/national.pem --trust served.db/ledger.pub --out signed.jsonl 2>/dev/null
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

failed=0
# wait_listening LOG: until the server started in the background prints its address (a
# loaded machine may take seconds to open the ledger and its state); else its log, exit 1.
wait_listening() {
  for _ in $(seq 1200); do grep -q 'listening on' serve.out 2>/dev/null && return 0; sleep 0.05; done
  echo "the server did not start:"; cat "$1"; exit 1
}
# run_served NAME DB LISTEN [serve options...]: serves DB, imports the slices from
# $clients clients at once while timing `state` reads; prints the figures.
run_served() {
  local name="$1" db="$2" listen="$3"; shift 3
  "$bin" serve --listen "$listen" --no-auth --max-connections 1000 --ledger "$db" "$@" > serve.out 2> "serve-$name.log" &
  server_pid=$!
  wait_listening "serve-$name.log"
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
  # Reads while the writes run: a long-lived client, each call timed; and whole client
  # processes, one after the other.
  rm -f writes.done
  "$bench" reads "${client[@]}" --project "$project" --seconds 600 --stop-file writes.done \
    > "calls-$name.txt" 2>&1 &
  local calls_pid=$!
  python3 - "$bin" "$project" "${client[@]}" > "reads-$name.txt" <<'PY' &
import subprocess, sys, time
bin, project, args = sys.argv[1], sys.argv[2], sys.argv[3:]
lat = []
for _ in range(40):
    t = time.monotonic()
    subprocess.run([bin, "state", project] + args, capture_output=True)
    lat.append((time.monotonic() - t) * 1000)
lat.sort()
print("%.1f %.1f" % (lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]))
PY
  local reads_pid=$!
  for p in "${pids[@]}"; do wait "$p" || { failed=1; echo "an import client failed ($name)"; }; done
  t1=$(now)
  local load
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  touch writes.done
  wait "$calls_pid" || { failed=1; echo "the reading client failed ($name)"; }
  wait "$reads_pid"
  local rate
  rate=$(python3 -c "print(round($records / ($t1 - $t0)))")
  last_rate=$rate
  local after
  after="$("$bin" verify "${client[@]}" --no-signatures | head -1 | cut -c1-60)"
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
  local p50 p99
  read -r p50 p99 < "reads-$name.txt"
  local server_reads
  server_reads="$(python3 - "serve-$name.log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def pct(v):
    v.sort()
    return "p50 %d us, p99 %d us" % (v[len(v) // 2], v[max(0, int(len(v) * 0.99) - 1)]) if v else "-"
for cmd in ("state", "check"):
    rows = [m.groups() for m in re.finditer(r"read=%s exit=\d+ micros=(\d+) queued_micros=(\d+) thread=(\w+)(?: lease_micros=(\d+))?" % cmd, text)]
    print("%s: arrival to answer %s; the read itself %s; its lease (lock + catch-up) %s; %d of %d on the event loop" % (
        cmd, pct([int(r[1]) for r in rows]), pct([int(r[0]) for r in rows]),
        pct([int(r[3]) for r in rows if r[3]]), sum(r[2] == "caller" for r in rows), len(rows)))
PY
)"
  echo "$clients clients, $name: $rate records/s ($(python3 -c "print(round(100 * $rate / $local_rate))")% of local; load $load)"
  sed 's/^/  per call, long-lived client, while writing: /' "calls-$name.txt"
  echo "  state through the server while writing, whole client process: p50 $p50 ms, p99 $p99 ms"
  echo "$server_reads" | sed 's/^/  on the server, /'
  local a50 a99
  read -r a50 a99 <<< "$(python3 - "serve-$name.log" <<'PY'
import re, sys
v = sorted(int(m.group(1)) for m in re.finditer(r"append lines=\d+ .* ack_micros=(\d+)", open(sys.argv[1]).read()))
print("%d %d" % (v[len(v) // 2] // 1000, v[max(0, int(len(v) * 0.99) - 1)] // 1000) if v else "- -")
PY
)"
  echo "  append acknowledgement (import's 1 000-line chunk, arrival to durable answer, at full load): p50 $a50 ms, p99 $a99 ms"
  echo "  after: $after"
}

echo "records: $records, clients: $clients (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "local pre-signed import: $local_rate records/s"
run_served "unix socket (goal >= 80%)" served.db "unix:$work/s.sock"

# Acknowledgement latency at half the rate the socket run reached.
"$bin" serve --listen "unix:$work/a.sock" --no-auth --ledger served-ack.db > serve.out 2> serve-ack.log &
server_pid=$!
wait_listening serve-ack.log
half=$((last_rate / 2))
"$bench" append --server "unix:$work/a.sock" --file signed.jsonl --clients "$clients" --chunk 100 \
  --rate "$half" > ack.txt 2>&1 || { failed=1; echo "the paced appender failed"; }
load="$(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
echo "$clients clients at half that rate ($half records/s), unix socket, chunks of 100 lines (load $load):"
sed 's/^/  /' ack.txt
run_served "TLS on loopback (goal >= 70%)" served-tls.db 127.0.0.1:0 --tls-cert srv.pem --tls-key srv.key
[[ $failed == 0 ]] || { echo "a client failed"; exit 1; }
