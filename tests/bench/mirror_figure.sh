#!/usr/bin/env bash
# Issue 16's mirror figure: on one ledger, the local full `verify` rate and the rate of a
# mirror's catch-up from the ledger's export-tiles directory (goal: >= 80% of verify's).
#   bash tests/bench/mirror_figure.sh LEDGER_DIR [ESMS_LEDGER_BIN] [--rounds N]
# Each figure is the best of N rounds (default 1; a shared machine disturbs some runs).
# The export is not timed; the mirror starts from an empty copy each round. Run by
# tests/bench/run.sh --mirror on the ledger esms-bench built.
set -euo pipefail
ledger="$1"
bin="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/esms-ledger}"
rounds=1
if [[ "${3:-}" == "--rounds" ]]; then rounds="$4"; fi
work="$(mktemp -d /tmp/esms-mirror-figure-XXXXXX)"
trap 'rm -rf "$work"' EXIT

"$bin" export-tiles --ledger "$ledger" --to "$work/tiles" >/dev/null
size=$("$bin" verify --ledger "$ledger" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
best_verify=0
best_mirror=0
for ((round = 1; round <= rounds; ++round)); do
  start=$(date +%s.%N)
  "$bin" verify --ledger "$ledger" >/dev/null
  end=$(date +%s.%N)
  best_verify=$(python3 -c "print(max($best_verify, $size / ($end - $start)))")
  rm -rf "$work/copy"
  start=$(date +%s.%N)
  "$bin" mirror --from "$work/tiles" --dir "$work/copy" --trust "$ledger/ledger.pub" >/dev/null
  end=$(date +%s.%N)
  best_mirror=$(python3 -c "print(max($best_mirror, $size / ($end - $start)))")
done
"$bin" verify --ledger "$work/copy" >/dev/null
python3 - "$size" "$best_verify" "$best_mirror" <<'PY'
import sys
size, verify, mirror = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
ratio = mirror / verify
print(f"mirror_verify_rate={verify:.0f}")
print(f"mirror_catchup_rate={mirror:.0f}")
print(f"mirror: {size} records; local full verify {verify:.0f} records/s; mirror catch-up from "
      f"tiles {mirror:.0f} records/s = {ratio:.0%} of verify (goal: >= 80%: "
      f"{'yes' if ratio >= 0.8 else 'no'})")
PY
