#!/usr/bin/env python3
"""Compares the figures of two esms-bench outputs (this build, a baseline build) run one
after the other on the same machine (tests/bench/run.sh --baseline): each figure of the
baseline's table beside this build's, with the ratio and whether it is within 10%.

    python3 compare.py THIS.out[,THIS2.out...] BASELINE.out[,BASELINE2.out...]

With several outputs on a side, each figure is the best of them (the highest rate, the
shortest time, the fewest bytes).
"""
import re
import sys

# (label, prefixes of the row in either build's table, higher is better)
FIGURES = [
    ("import, records/s", ("import of plain lines", "durable signed import"), True),
    ("full verify, records/s", ("full verify",), True),
    ("structural verify, records/s", ("structural verify",), True),
    ("projection rebuild, records/s", ("projection rebuild",), True),
    ("open (ledger + snapshot), ms", ("open ",), False),
    ("`state`, first call, ms", ("`state ",), False),
    ("`check`, first call, ms", ("`check`",), False),
    ("`history`, first call, ms", ("`history`",), False),
    ("`report active-dui --by region`, first call, ms", ("`report",), False),
    ("bytes on disk per record", ("bytes on disk per record",), False),
]


def rows(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or not line.startswith("|"):
                continue
            m = re.match(r"^([0-9][0-9 ]*(?:\.[0-9]+)?)(?: ms)?$", cells[1])
            if m:
                out.setdefault(cells[0], float(m.group(1).replace(" ", "")))
    return out


def find(tables, prefixes, higher_better):
    values = [v for t in tables for name, v in t.items() if name.startswith(prefixes)]
    if not values:
        return None
    return max(values) if higher_better else min(values)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    this = [rows(p) for p in sys.argv[1].split(",")]
    base = [rows(p) for p in sys.argv[2].split(",")]
    print("| figure | this build | baseline | this / baseline | within 10%? |")
    print("|---|---:|---:|---:|---|")
    for label, prefixes, higher_better in FIGURES:
        a, b = find(this, prefixes, higher_better), find(base, prefixes, higher_better)
        if a is None or b is None:
            print(f"| {label} | {a} | {b} | - | - |")
            continue
        ratio = a / b if b else float("inf")
        ok = ratio >= 0.9 if higher_better else ratio <= 1.1
        if "import" in label:
            ok = None  # not a "no worse" figure: its goal is against the Ed25519 limit
        print(f"| {label} | {a:g} | {b:g} | {ratio:.2f} | {'-' if ok is None else 'yes' if ok else 'no'} |")


if __name__ == "__main__":
    main()
