#!/usr/bin/env bash
# Issue 16's figure "national report across 19 ledgers, first call <= 2 s", with `server`
# entries (docs/federation.md §2a): the 18 region demos (`demo --region CODE`, region
# scale) and an empty national ledger, each served by its own `esms-ledger serve` on a
# unix socket (logins checked; the national key `dgos` enrolled in each); the federated
# report over the 19 servers, then over the 19 ledger directories, each the first call
# of a new process; their JSON outputs must be equal.
#   bash tests/bench/federation_servers.sh [WORK_DIR] [ESMS_LEDGER_BIN] [--rounds N]
# WORK_DIR keeps the demos between runs (default /tmp/esms-federation-bench); a region
# whose WORK_DIR/rCODE/ledger exists is reused. Prints the wall and CPU (user+sys) time
# of each call, its memory, and the machine's load (`uptime`).
set -euo pipefail
work="${1:-/tmp/esms-federation-bench}"
bin="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/esms-ledger}"
rounds=1
if [[ "${3:-}" == "--rounds" ]]; then rounds="$4"; fi
at=2024-12-31
regions=(01 02 03 04 06 11 24 27 28 32 44 52 53 75 76 84 93 94)
mkdir -p "$work/s"

# The ledgers (built once).
if [[ ! -f "$work/dgos.pem" ]]; then
  "$bin" key new dgos --out "$work/dgos.pem" --json >"$work/dgos.json"
fi
dgos_pub=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["publicKey"])' \
  "$work/dgos.json")
enrol="{\"id\": \"key-dgos\", \"type\": \"key.enrolled\", \"at\": \"2023-01-02\", \"data\": {\"name\": \"dgos\", \"publicKey\": \"$dgos_pub\", \"roles\": [\"national\"], \"regions\": []}}"
seed=1
for code in "${regions[@]}"; do
  seed=$((seed + 1))
  if [[ ! -d "$work/r$code/ledger" ]]; then
    echo "building the region demo $code..." >&2
    "$bin" demo --dir "$work/r$code" --region "$code" --seed "$seed" --json >/dev/null
  fi
  if [[ ! -f "$work/r$code/dgos-enrolled" ]]; then
    echo "$enrol" | "$bin" import - --key "$work/r$code/keys/admin.pem" \
      --ledger "$work/r$code/ledger" >/dev/null
    touch "$work/r$code/dgos-enrolled"
  fi
done
if [[ ! -d "$work/nat" ]]; then
  "$bin" key new admin --out "$work/nat-admin.pem" >/dev/null
  "$bin" init --origin national.example/esms --admin-key "$work/nat-admin.pem" \
    --ledger "$work/nat" >/dev/null
  echo "$enrol" | "$bin" import - --key "$work/nat-admin.pem" --ledger "$work/nat" >/dev/null
fi

# The federation files: directories, servers.
python3 - "$work" "${regions[@]}" <<'PY'
import json, sys
work, regions = sys.argv[1], sys.argv[2:]
ledgers = [(f"r{c}", f"{work}/r{c}/ledger") for c in regions] + [("nat", f"{work}/nat")]
dirs = [{"name": n, "ledger": d, "trust": f"{d}/ledger.pub"} for n, d in ledgers]
servers = [{"name": n, "server": f"unix:{work}/s/{n}.sock", "trust": f"{d}/ledger.pub"}
           for n, d in ledgers]
json.dump(dirs, open(f"{work}/dirs.json", "w"), indent=1)
json.dump(servers, open(f"{work}/servers.json", "w"), indent=1)
PY

# 19 servers, killed by their pids on exit.
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
start_server() {  # NAME LEDGER
  rm -f "$work/s/$1.out"
  "$bin" serve --listen "unix:$work/s/$1.sock" --ledger "$2" >"$work/s/$1.out" \
    2>"$work/s/$1.log" &
  pids+=($!)
}
for code in "${regions[@]}"; do start_server "r$code" "$work/r$code/ledger"; done
start_server nat "$work/nat"
for name in $(python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))))' "$work/servers.json"); do
  for _ in $(seq 1 600); do
    grep -q "listening on" "$work/s/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "listening on" "$work/s/$name.out" || { echo "server $name did not start" >&2; exit 1; }
done
echo "19 servers listening; load: $(uptime | sed 's/.*load average: //')"

servers_cpu() {  # the servers' CPU time so far (user+sys, clock ticks)
  local total=0
  for pid in "${pids[@]}"; do
    read -r -a stat <"/proc/$pid/stat"
    total=$((total + stat[13] + stat[14]))
  done
  echo "$total"
}
measure() {  # LABEL ARGS...: wall s, user+sys s (the command's, and the servers' meanwhile), max RSS
  local label="$1"
  shift
  local before after
  before=$(servers_cpu)
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$bin" "$@" >"$work/$label.out"
  after=$(servers_cpu)
  read -r wall user sys rss <"$work/time.txt"
  python3 -c "print(f'$label: wall {float($wall):.2f} s, cpu (user+sys) {float($user)+float($sys):.2f} s, servers meanwhile {($after - $before) / $(getconf CLK_TCK):.2f} s, {int($rss)//1024} MB')"
}
for ((round = 1; round <= rounds; ++round)); do
  echo "round $round, load: $(uptime | sed 's/.*load average: //')"
  measure servers report active-dui --federation "$work/servers.json" --at "$at" --json \
    --key "$work/dgos.pem"
  measure dirs report active-dui --federation "$work/dirs.json" --at "$at" --json
done
if cmp -s "$work/servers.out" "$work/dirs.out"; then
  echo "the JSON over the servers equals the JSON over the directories ($(wc -c <"$work/dirs.out") bytes)"
else
  echo "the JSON over the servers DIFFERS from the one over the directories" >&2
  exit 1
fi
python3 - "$work/dirs.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
records = sum(s["checkpoint"]["size"] for s in d["shares"])
print(f"national total {d['total']} over {d['establishments']} establishments, "
      f"{len(d['shares'])} ledgers, {records} records")
PY
