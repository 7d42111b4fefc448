#!/usr/bin/env bash
# Runs every benchmark of issue #6 (BENCHMARKS.md), and the witness's of issue #16:
#   bash tests/bench/run.sh [--records N] [--build-dir DIR] [--no-postgres]
#                           [--baseline DIR] [other esms-bench options]
# Builds the on-demand `bench` target (Release) in DIR (default build-bench), runs
# esms-bench (limits + esms-ledger figures), then the same events into PostgreSQL 15
# with a SQL hash chain, in a throw-away server of its own (skipped without postgresql).
# --baseline DIR: DIR holds another build's esms-bench (e.g. main's, built with
# `cmake --build DIR --target bench`), run on the same number of records right after
# this one; the figures of both are printed side by side (issue #14: "no figure worse
# than before by more than 10%", measured in one run on the same machine).
# --mirror: then issue 16's mirror figure on the ledger esms-bench built (kept for it):
# local full verify rate against the mirror's catch-up rate from its tiles
# (tests/bench/mirror_figure.sh).
# --rounds N (with --baseline): N rounds of (this build, then the baseline), each
# figure taken as the best of its N runs (a shared machine disturbs some runs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build-bench"
records=1002049  # the whole national programme (BENCHMARKS.md)
postgres=1
baseline=""
mirror=0
rounds=1
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --no-postgres) postgres=0; shift ;;
    --baseline) baseline="$(cd "$2" && pwd)"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --mirror) mirror=1; bench_args+=("--keep"); shift ;;
    *) bench_args+=("$1"); shift ;;
  esac
done

work="$(mktemp -d /tmp/esms-bench-run-XXXXXX)"
pg_pid_dir=""
as_pg=()
cleanup() {
  if [[ -n "$pg_pid_dir" && -f "$pg_pid_dir/postmaster.pid" ]]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_pid_dir" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core)' || true
free -h | head -2 || true
df -h "$work" | tail -1 || true

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target bench -j"${BENCH_JOBS:-1}" >/dev/null

echo "== esms-bench (--records $records)"
"$build/esms-bench" --records "$records" --dir "$work/esms" --events-out "$work/events.jsonl" \
  --results "$work/results.txt" "${bench_args[@]}" | tee "$work/esms.out"

echo
echo "== esms-witness-bench: witness cosignatures/s over HTTP (issue #16, docs/witness.md)"
cmake --build "$build" --target witness_bench -j"${BENCH_JOBS:-1}" >/dev/null
"$build/esms-witness-bench" --dir "$work/witness" | tee "$work/witness.out"
if [[ $mirror -eq 1 ]]; then
  echo
  echo "== mirror catch-up vs local verify (issue 16), same ledger"
  bash "$here/mirror_figure.sh" "$work/esms/ledger" "$build/esms-ledger" --rounds "$rounds"
fi

if [[ -n "$baseline" ]]; then
  this_outs="$work/esms.out"
  base_outs=""
  for ((round = 1; round <= rounds; ++round)); do
    if ((round > 1)); then
      echo
      echo "== esms-bench, round $round of $rounds"
      "$build/esms-bench" --records "$records" --dir "$work/esms-$round" "${bench_args[@]}" |
        tee "$work/esms-$round.out"
      this_outs="$this_outs,$work/esms-$round.out"
    fi
    echo
    echo "== baseline, round $round of $rounds: $baseline/esms-bench (--records $records), same machine"
    "$baseline/esms-bench" --records "$records" --dir "$work/baseline-$round" "${bench_args[@]}" |
      tee "$work/baseline-$round.out"
    base_outs="${base_outs:+$base_outs,}$work/baseline-$round.out"
  done
  echo
  echo "== this build vs the baseline, best of $rounds round(s) each (ratio: this / baseline; goal: no figure worse by more than 10%)"
  python3 "$here/compare.py" "$this_outs" "$base_outs"
fi

echo
echo "== PostgreSQL 15: the same events, SQL hash chain, transactions of 1000 rows"
pg_bin=/usr/lib/postgresql/15/bin
if [[ $postgres -eq 0 ]]; then
  echo "skipped: --no-postgres"
  exit 0
fi
if [[ ! -x "$pg_bin/initdb" || ! -x "$pg_bin/pg_ctl" ]] || ! command -v psql >/dev/null; then
  echo "skipped: postgresql not installed"
  exit 0
fi
pgdata="$work/pg"
sock="$work/pgsock"
mkdir -p "$sock"
# The server refuses to run as root: as root, it runs as the postgres user.
as_pg=()
if [[ $EUID -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "skipped: running as root and there is no postgres user to run the server"
    exit 0
  fi
  as_pg=(runuser -u postgres --)
  chmod 755 "$work"
  chown postgres "$sock"
  mkdir -p "$pgdata" && chown postgres "$pgdata"
  touch "$work/pg.log" && chown postgres "$work/pg.log"
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pgdata" -A trust -U bench --no-locale -E UTF8 >/dev/null
pg_pid_dir="$pgdata"
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -l "$work/pg.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$sock' -c synchronous_commit=on -c fsync=on" \
  start >/dev/null
export PGHOST="$sock" PGUSER=bench PGDATABASE=postgres

psql -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE ledger (
  seq bigint PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  payload jsonb NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
-- Each row chained to the previous one: hash = sha256(prev_hash || payload text).
CREATE FUNCTION chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last record;
BEGIN
  SELECT seq, hash INTO last FROM ledger ORDER BY seq DESC LIMIT 1;
  IF last IS NULL THEN
    NEW.seq := 0;
    NEW.prev_hash := '\x0000000000000000000000000000000000000000000000000000000000000000';
  ELSE
    NEW.seq := last.seq + 1;
    NEW.prev_hash := last.hash;
  END IF;
  NEW.event_id := NEW.payload->>'id';
  NEW.hash := sha256(NEW.prev_hash || convert_to(NEW.payload::text, 'UTF8'));
  RETURN NEW;
END $$;
CREATE TRIGGER chain BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION chain();
SQL

chunks="$work/chunks"
mkdir -p "$chunks"
split -l 1000 -a 5 "$work/events.jsonl" "$chunks/c"
script="$work/load.sql"
: >"$script"
for f in "$chunks"/c*; do
  # One \copy = one transaction of 1000 rows, committed synchronously. CSV with quote and
  # delimiter characters that never occur in the JSON lines: each line is one value.
  echo "\\copy ledger(payload) FROM '$f' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" >>"$script"
done
rows=$(wc -l <"$work/events.jsonl")
start=$(date +%s.%N)
psql -q -v ON_ERROR_STOP=1 -f "$script"
end=$(date +%s.%N)
count=$(psql -At -c "SELECT count(*) FROM ledger")
bytes=$(psql -At -c "SELECT pg_total_relation_size('ledger')")
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null
pg_pid_dir=""
pg_rate=$(python3 -c "print(round($count / ($end - $start)))")
esms_rate=$(grep '^import_rate=' "$work/results.txt" | cut -d= -f2)
echo "PostgreSQL 15: $count rows (of $rows) in $(python3 -c "print(round($end - $start, 1))") s = $pg_rate rows/s, $(python3 -c "print(round($bytes / max($count, 1)))") bytes per row on disk"
ratio=$(python3 -c "print(round($esms_rate / max($pg_rate, 1), 2))")
met=$(python3 -c "print('yes' if $esms_rate > $pg_rate else 'no')")
echo "esms-ledger (plain lines signed on the spot, guarded, Merkle): $esms_rate records/s = $ratio x PostgreSQL (goal: faster than PostgreSQL: $met)"
