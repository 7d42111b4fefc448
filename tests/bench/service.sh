#!/usr/bin/env bash
# The service benchmark of issue #15 (BENCHMARKS.md, docs/service.md):
#   bash tests/bench/service.sh [--records N] [--clients C] [--bin PATH/esms-ledger]
# The ledger is the demo's (seed 2024, 150 establishments: its projects, ~5 100 records);
# N solution events are signed once (`sign`, the author's machine, with the demo's
# national key), then, in the same run, each on a fresh copy of the ledger:
#   1. imports them with the local command (pre-signed, no key): the reference rate;
#   2. over a unix socket, the writes alone (the goal's "32 clients appending"):
#      a. C client processes at once (`import --server`, each a slice: the full rate);
#      b. one load generator process holding C connections, each its own login, slice
#         and 1 000-line chunks (esms-service-bench import, as wrk / pgbench -c C): the
#         clients' machines are not the server's 2 cores;
#   3. the C processes of (2a) again while a long-lived client reads through the server
#      (esms-service-bench reads: connected once, `state` and `check` of the demo's project
#      bzh-2023-0001 in turn, back to back, each call timed): the read latency while the
#      writes run at full rate, and the write rate under those reads; then, in a run of
#      its own, `state` timed as a whole client process (exec, connect, login, read,
#      print) while the C processes write, as an extra line;
#   4. appends the lines at half the rate (2a) reached, from C long-lived clients in
#      chunks of 100 lines on a fixed schedule (esms-service-bench append --rate): the
#      acknowledgement latency of a chunk;
#   5. (2a), (2b) and (3) again over TCP with TLS on loopback (a test CA made with openssl);
#   6. the local import again (a second reference: how much the machine drifted).
# Prints records/s of each, their ratio to (1) (goals: >= 80% on the socket, >= 70% with
# TLS), the latencies, the CPU time of the server and of the clients, and the machine's
# load (`uptime`) beside each.
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
project=bzh-2023-0001
python3 - "$records" > events.jsonl <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('{"id": "sol-%d", "type": "solution.referenced", "at": "2023-02-01", "data": {"solution": {"vendor": "Editeur %d", "product": "DUI", "version": "%d.0"}, "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}' % (i, i % 7, i))
PY
"$bin" sign events.jsonl --key demo/keys/national.pem --trust demo/ledger/ledger.pub --out signed.jsonl 2>/dev/null
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
ticks="$(getconf CLK_TCK)"
# cpu_of PID: its CPU time so far (user + system), in seconds.
cpu_of() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
# per_record SECONDS: microseconds of CPU per record.
per_record() { python3 -c "print('%.1f' % ($1 * 1e6 / $records))"; }
percent() { python3 -c "print(round(100 * $1 / $local_rate))"; }
rate_of() { python3 -c "print(round($records / ($2 - $1)))"; }

# local_import: the local pre-signed import into a fresh copy; sets local_rate, local_cpu.
local_import() {
  rm -rf local.db; cp -r demo/ledger local.db
  local t0 t1
  t0=$(now)
  local_cpu="$( ( "$bin" import signed.jsonl --ledger local.db >/dev/null
                  awk -v t="$ticks" '{ print ($16 + $17) / t }' "/proc/$BASHPID/stat" ) )"
  t1=$(now)
  local_rate=$(rate_of "$t0" "$t1")
}
local_import

split -n "l/$clients" -d -a 3 signed.jsonl part-
# A test CA and the server's certificate for the TLS runs.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -subj /CN=bench-ca -days 2 >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
  -subj /CN=localhost >/dev/null 2>&1
echo "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1" > san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
  -extfile san.ext >/dev/null 2>&1

failed=0
# start_server NAME LISTEN [serve options...]: serves a fresh copy of the demo ledger;
# sets server_pid, address, client (the client's --server/--tls-ca), server_log.
start_server() {
  local name="$1" listen="$2"; shift 2
  rm -rf "served-$name.db"; cp -r demo/ledger "served-$name.db"
  server_log="serve-$name.log"
  rm -f serve.out
  "$bin" serve --listen "$listen" --no-auth --max-connections 1000 --ledger "served-$name.db" "$@" \
    > serve.out 2> "$server_log" &
  server_pid=$!
  # Until it prints its address (a loaded machine may take seconds to open the ledger).
  local up=0
  for _ in $(seq 1200); do grep -q 'listening on' serve.out 2>/dev/null && { up=1; break; }; sleep 0.05; done
  [[ $up == 1 ]] || { echo "the server did not start:"; cat "$server_log"; exit 1; }
  address="$(sed -n 's/^listening on //p' serve.out)"
  client=(--server "$address")
  [[ "$address" == unix:* ]] || client+=(--tls-ca ca.pem)
}
stop_server() {
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
}
# import_processes: the slices from $clients `import --server` processes at once; sets
# t0, t1 and clients_cpu (their CPU time, seconds, summed).
import_processes() {
  t0=$(now)
  clients_cpu="$( (
    pids=()
    for part in part-???; do
      "$bin" import "$part" "${client[@]}" > "$part.out" 2>&1 &
      pids+=($!)
    done
    bad=0
    for p in "${pids[@]}"; do wait "$p" || bad=1; done
    [[ $bad == 0 ]] || echo "an import client failed" >&2
    awk -v t="$ticks" '{ print ($16 + $17) / t }' "/proc/$BASHPID/stat"
  ) )"
  t1=$(now)
}

# writes_only NAME LISTEN [serve options]: (2a) then (2b) on fresh servers.
writes_only() {
  local name="$1" listen="$2"; shift 2
  local cpu0 server_cpu rate ld
  start_server "$name-processes" "$listen" "$@"
  cpu0=$(cpu_of "$server_pid")
  import_processes
  ld="$(load)"
  server_cpu=$(python3 -c "print($(cpu_of "$server_pid") - $cpu0)")
  stop_server
  rate=$(rate_of "$t0" "$t1")
  last_rate=$rate
  echo "$clients clients, $name, writes only, $clients import --server processes: $rate records/s ($(percent "$rate")% of local; load $ld)"
  echo "  CPU per record: server $(per_record "$server_cpu") us, the $clients client processes $(per_record "$clients_cpu") us (local import: $(per_record "$local_cpu") us)"
  start_server "$name-generator" "$listen" "$@"
  cpu0=$(cpu_of "$server_pid")
  local out
  out="$("$bench" import "${client[@]}" --file signed.jsonl --clients "$clients" 2>&1)" || { failed=1; echo "the load generator failed ($name): $out"; }
  ld="$(load)"
  server_cpu=$(python3 -c "print($(cpu_of "$server_pid") - $cpu0)")
  stop_server
  rate=$(sed -n 's/^records\/s: \([0-9]*\).*/\1/p' <<< "$out")
  local gen_cpu
  gen_cpu=$(sed -n "s/.*this process's CPU: \([0-9.]*\) s.*/\1/p" <<< "$out")
  echo "$clients clients, $name, writes only, one load generator process with $clients connections: ${rate:-?} records/s ($(percent "${rate:-0}")% of local; load $ld)"
  echo "  CPU per record: server $(per_record "$server_cpu") us, the load generator $(per_record "${gen_cpu:-0}") us"
}

# with_reads NAME LISTEN [serve options...]: (3): the $clients processes while the reads
# run; prints the figures.
with_reads() {
  local name="$1" listen="$2"; shift 2
  start_server "$name-reads" "$listen" "$@"
  local cpu0
  cpu0=$(cpu_of "$server_pid")
  # Reads while the writes run: a long-lived client, each call timed.
  rm -f writes.done
  "$bench" reads "${client[@]}" --project "$project" --seconds 600 --stop-file writes.done \
    > "calls-$name.txt" 2>&1 &
  local calls_pid=$!
  import_processes
  local ld
  ld="$(load)"
  touch writes.done
  wait "$calls_pid" || { failed=1; echo "the reading client failed ($name)"; }
  local server_cpu
  server_cpu=$(python3 -c "print($(cpu_of "$server_pid") - $cpu0)")
  local rate
  rate=$(rate_of "$t0" "$t1")
  local after
  after="$("$bin" verify "${client[@]}" --no-signatures | head -1 | cut -c1-60)"
  stop_server
  local server_reads
  server_reads="$(python3 - "$server_log" <<'PY'
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
  echo "$clients clients, $name, while reading: $rate records/s ($(percent "$rate")% of local; load $ld)"
  sed 's/^/  per call, long-lived client, while writing: /' "calls-$name.txt"
  echo "$server_reads" | sed 's/^/  on the server, /'
  echo "  CPU per record: server $(per_record "$server_cpu") us (with the reads), the $clients client processes $(per_record "$clients_cpu") us"
  local a50 a99
  read -r a50 a99 <<< "$(python3 - "$server_log" <<'PY'
import re, sys
v = sorted(int(m.group(1)) for m in re.finditer(r"append lines=\d+ .* ack_micros=(\d+)", open(sys.argv[1]).read()))
print("%d %d" % (v[len(v) // 2] // 1000, v[max(0, int(len(v) * 0.99) - 1)] // 1000) if v else "- -")
PY
)"
  echo "  append acknowledgement (import's chunk, arrival to durable answer, at full load): p50 $a50 ms, p99 $a99 ms"
  echo "  after: $after"
}

# whole_process_reads NAME LISTEN [serve options...]: `state` as a whole client process
# (exec, connect, login, read, print), 40 in turn, while the $clients processes write: a
# run of its own, so that these 40 process starts do not weigh on the figures of (3).
whole_process_reads() {
  local name="$1" listen="$2"; shift 2
  start_server "$name-whole" "$listen" "$@"
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
  import_processes
  local ld
  ld="$(load)"
  wait "$reads_pid"
  stop_server
  local p50 p99
  read -r p50 p99 < "reads-$name.txt"
  echo "  state through the server while writing, whole client process (a run of its own, $(rate_of "$t0" "$t1") records/s; load $ld): p50 $p50 ms, p99 $p99 ms"
}

echo "records: $records, clients: $clients (machine: $(nproc) cores, load $(load))"
echo "local pre-signed import: $local_rate records/s (CPU per record $(per_record "$local_cpu") us)"
writes_only "unix socket (goal >= 80%)" "unix:$work/s.sock"
with_reads "unix socket" "unix:$work/s.sock"
whole_process_reads "unix socket" "unix:$work/s.sock"

# Acknowledgement latency at half the rate the socket's processes reached (2a).
start_server ack "unix:$work/a.sock"
half=$((last_rate / 2))
"$bench" append "${client[@]}" --file signed.jsonl --clients "$clients" --chunk 100 \
  --rate "$half" > ack.txt 2>&1 || { failed=1; echo "the paced appender failed"; }
ld="$(load)"
stop_server
echo "$clients clients at half that rate ($half records/s), unix socket, chunks of 100 lines (load $ld):"
sed 's/^/  /' ack.txt

writes_only "TLS on loopback (goal >= 70%)" 127.0.0.1:0 --tls-cert srv.pem --tls-key srv.key
with_reads "TLS on loopback" 127.0.0.1:0 --tls-cert srv.pem --tls-key srv.key
whole_process_reads "TLS on loopback" 127.0.0.1:0 --tls-cert srv.pem --tls-key srv.key
first_local=$local_rate
local_import
echo "local pre-signed import again, at the end: $local_rate records/s ($(python3 -c "print(round(100 * $local_rate / $first_local))")% of the first; load $(load))"
[[ $failed == 0 ]] || { echo "a client failed"; exit 1; }
