#!/usr/bin/env bash
# Issue 17's figure "fresh clone to the demo's first line (bash .ci/demo, packages already
# installed) <= 3 min": clones REPO at REV (default: this checkout, HEAD) into a temporary
# directory, runs `bash .ci/demo` there with no compiler cache (CCACHE_DISABLE=1), and
# prints the seconds from the start of the clone to the demo's first line on stdout, then
# what the build did: its steps and the CPU seconds (user + sys) of its compile and link
# steps, summed from a launcher that times each one (a figure the machine's load barely
# moves, unlike the wall time: `uptime` is printed beside it). The clone is removed
# afterwards (KEEP=1 keeps it).
#   bash tests/bench/demo_first_line.sh [REPO [REV]]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
repo=${1:-$here}
rev=${2:-HEAD}
work=$(mktemp -d "${TMPDIR:-/tmp}/esms-first-line.XXXXXX")
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT

# Each compile or link step runs through this launcher, which appends "CPU-SECONDS OUTPUT".
cat >"$work/launcher" <<'EOF'
#!/usr/bin/env bash
out=unknown
prev=
for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done
exec /usr/bin/time -a -o "$ESMS_CPU_LOG" -f "%U %S $out" "$@"
EOF
chmod +x "$work/launcher"
export ESMS_CPU_LOG="$work/cpu.log"
: >"$ESMS_CPU_LOG"

echo "load before: $(uptime)"
start=$(date +%s.%N)
git clone -q "$repo" "$work/src"
git -C "$work/src" checkout -q "$rev"
first=
export CCACHE_DISABLE=1
export CMAKE_EXTRA="-DCMAKE_CXX_COMPILER_LAUNCHER=$work/launcher -DCMAKE_CXX_LINKER_LAUNCHER=$work/launcher"
while IFS= read -r line; do
  if [ -z "$first" ]; then
    first=$(date +%s.%N)
    echo "first line: $line"
  fi
done < <(cd "$work/src" && bash .ci/demo --dir "$work/demo" 2>"$work/stderr")
end=$(date +%s.%N)
echo "load after:  $(uptime)"
[ -n "$first" ] || { tail -20 "$work/stderr"; echo "no output" >&2; exit 1; }
steps=$(grep -c '^\[[0-9]*/[0-9]*\]' "$work/stderr" || true)
awk -v s="$start" -v f="$first" -v e="$end" -v steps="$steps" '
  { cpu += $1 + $2; n++ }
  END {
    printf "clone to first line: %.1f s wall (demo finished at %.1f s)\n", f - s, e - s
    printf "build steps: %d; compile+link steps timed: %d, %.1f CPU s (user+sys)\n", steps, n, cpu
  }' "$ESMS_CPU_LOG"
if [ -n "${VERBOSE:-}" ]; then
  awk '{ printf "%6.1f %s\n", $1 + $2, $3 }' "$ESMS_CPU_LOG" | sort -rn | head -"$VERBOSE"
fi
