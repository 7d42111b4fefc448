#!/usr/bin/env bash
# What `serve --witness` (and `--export-tiles`) cost the writer (issue #16, docs/witness.md):
#   bash tests/bench/witness_push.sh [--records N] [--clients C] [--reps R] [--bin PATH]
# Signs N solution events once, imports them with the local command (the machine's limit
# on this ledger), then, R times in alternation, serves a fresh copy of the same ledger on
# a unix socket and imports them from C clients at once:
#   plain      serve with no witness
#   witness    serve --witness URL,KEY (one real `witness serve` on 127.0.0.1)
#   tiles      serve --witness URL,KEY --export-tiles DIR
# Prints, per run, records/s (wall clock) and the serve process's CPU time (user + sys,
# from /proc), and the medians; and the machine load (uptime). With --witness, the
# stored cosigned checkpoint must cover the whole ledger at the end.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
records=20000
clients=16
reps=3
bin="$root/build/esms-ledger"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d /tmp/esms-witness-bench-XXXXXX)"
server_pid=""
witness_pid=""
cleanup() {
  for p in "$server_pid" "$witness_pid"; do
    if [[ -n "$p" ]]; then kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$bin" key new admin --out admin.pem >/dev/null
"$bin" key new witness --out w.pem >/dev/null
pub="$("$bin" key new dgos --out dgos.pem --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["publicKey"])')"
enrol="{\"id\": \"key-dgos\", \"type\": \"key.enrolled\", \"at\": \"2023-01-02\", \"data\": {\"name\": \"dgos\", \"publicKey\": \"$pub\", \"roles\": [\"national\"], \"regions\": []}}"
"$bin" init --origin bench.example/esms --admin-key admin.pem --ledger base.db >/dev/null
echo "$enrol" | "$bin" import - --key admin.pem --ledger base.db >/dev/null
cp -r base.db local.db
python3 - "$records" > events.jsonl <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('{"id": "sol-%d", "type": "solution.referenced", "at": "2023-02-01", "data": {"solution": {"vendor": "Editeur %d", "product": "DUI", "version": "%d.0"}, "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}' % (i, i % 7, i))
PY
"$bin" sign events.jsonl --key dgos.pem --trust base.db/ledger.pub --out signed.jsonl 2>/dev/null
split -n "l/$clients" -d -a 3 signed.jsonl part-
now() { date +%s.%N; }
cpu_seconds() {  # user + sys of a live process, in seconds
  python3 -c "import os,sys; f=open('/proc/%s/stat' % sys.argv[1]).read().rsplit(')',1)[1].split(); t=os.sysconf('SC_CLK_TCK'); print((int(f[11])+int(f[12]))/t)" "$1"
}

t0=$(now)
"$bin" import signed.jsonl --ledger local.db >/dev/null
t1=$(now)
local_rate=$(python3 -c "print(round($records / ($t1 - $t0)))")

# A witness with a fresh state for each run: every run's ledger is another tree of the same
# origin and key (other recordedAt times), which a witness that saw the last one refuses.
start_witness() {
  rm -rf wstate witness.out
  "$bin" witness serve --listen 127.0.0.1:0 --key w.pem --name witness.bench --state wstate \
    --log base.db/ledger.pub --json > witness.out 2> witness.log &
  witness_pid=$!
  for _ in $(seq 200); do [[ -s witness.out ]] && break; sleep 0.05; done
  wspec="$(python3 -c 'import json; j = json.loads(open("witness.out").readline()); print(j["url"] + "," + j["witness"])')"
}
stop_witness() {
  kill -TERM "$witness_pid"; wait "$witness_pid" || true; witness_pid=""
}

declare -A rates cpus
run() {  # run NAME REP [serve options...]
  local name="$1" rep="$2"; shift 2
  rm -rf served.db tiles && cp -r base.db served.db
  [[ "$name" == plain ]] || { start_witness; set -- "$@" --witness "$wspec"; }
  "$bin" serve --listen "unix:$work/s.sock" --no-auth --ledger served.db "$@" \
    > serve.out 2> "serve-$name-$rep.log" &
  server_pid=$!
  for _ in $(seq 200); do grep -q 'listening on' serve.out 2>/dev/null && break; sleep 0.05; done
  local c0 t0 t1 pids=() p
  c0=$(cpu_seconds "$server_pid")
  t0=$(now)
  for part in part-[0-9][0-9][0-9]; do
    "$bin" import "$part" --server "unix:$work/s.sock" > "$part.out" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  local c1
  c1=$(cpu_seconds "$server_pid")
  sleep 0.5  # the last push / export
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
  [[ "$name" == plain ]] || stop_witness
  local size
  size="$("$bin" checkpoint --ledger served.db --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')"
  if [[ "$name" != plain ]]; then
    grep -q "^$size\$" served.db/cosigned.note || { echo "FAIL: $name: cosigned.note does not cover size $size" >&2; exit 1; }
  fi
  if [[ "$name" == tiles ]]; then
    grep -q "^$size\$" tiles/checkpoint || { echo "FAIL: tiles/checkpoint is not of size $size" >&2; exit 1; }
  fi
  local rate cpu
  rate=$(python3 -c "print(round($records / ($t1 - $t0)))")
  cpu=$(python3 -c "print(round($c1 - $c0, 2))")
  rates[$name]+="$rate "
  cpus[$name]+="$cpu "
  echo "  $name run $rep: $rate records/s, serve CPU $cpu s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
}

echo "local import (the machine's limit on this ledger): $local_rate records/s"
for rep in $(seq "$reps"); do
  run plain "$rep"
  run witness "$rep"
  run tiles "$rep" --export-tiles "$work/tiles"
done
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" $1; }
p_rate=$(median "${rates[plain]}"); p_cpu=$(median "${cpus[plain]}")
for name in plain witness tiles; do
  r=$(median "${rates[$name]}"); c=$(median "${cpus[$name]}")
  echo "$name: median $r records/s ($(python3 -c "print(round(100 * $r / $p_rate))")% of plain, $(python3 -c "print(round(100 * $r / $local_rate))")% of local), serve CPU $c s ($(python3 -c "print(round(100 * $c / $p_cpu))")% of plain)"
done
echo "$records records, $clients clients, $reps runs each; $(uptime)"
