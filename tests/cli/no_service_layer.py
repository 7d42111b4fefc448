#!/usr/bin/env python3
"""The program built without its service layer (-DESMS_SERVICE=OFF), as `bash .ci/demo`
builds it on a fresh checkout: the same objects as the whole program's but for
cli/served_absent.cc.

Each command that needs the service layer (serve, --server, witness serve, witness
add-checkpoint, mirror, demo --federated) still parses its options (a missing one is
CLI11's usage error) and then answers USAGE, exit 2 (INTERFACE.md §5), naming how to
build the whole program, in text and with --json; --help says so at its end and the whole
program's does not; the demo prints what the whole program prints for the same seed
(its timings aside) and its ledger has the same root.

Usage: no_service_layer.py PATH/TO/esms-ledger PATH/TO/esms-ledger-no-service
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FULL, LEAN = sys.argv[1], sys.argv[2]
checks = {"passed": 0, "failed": 0}


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAILED: {what}")


with tempfile.TemporaryDirectory() as tmp:
    sock = f"unix:{tmp}/none.sock"
    refused = [
        ["serve", "--listen", sock, "--ledger", f"{tmp}/l.db"],
        ["state", "P-1", "--server", sock],
        ["import", "-", "--server", sock],
        ["report", "active-dui", "--at", "2024-12-31", "--server", sock],
        ["bundle", "P-1", "--out", f"{tmp}/b.json", "--server", sock],
        ["witness", "serve", "--listen", "127.0.0.1:0", "--name", "w", "--state", f"{tmp}/w",
         "--log", f"{tmp}/ledger.pub", "--key", f"{tmp}/w.pem"],
        ["witness", "add-checkpoint", "--url", "http://127.0.0.1:9", "--ledger", f"{tmp}/l.db"],
        ["mirror", "--from", f"{tmp}/tiles", "--dir", f"{tmp}/copy", "--trust", f"{tmp}/k.pub"],
        ["demo", "--scale", "national", "--federated", "--dir", f"{tmp}/fed"],
    ]
    for args in refused:
        name = " ".join(args[:2])
        text = run(LEAN, *args)
        check(text.returncode == 2, f"{name}: exit {text.returncode}, not 2")
        check(text.stderr.startswith("error: USAGE: ") and "not in this build" in text.stderr
              and "bash .ci/build" in text.stderr and "ESMS_SERVICE" in text.stderr,
              f"{name}: stderr {text.stderr!r}")
        check(text.stdout == "", f"{name}: stdout {text.stdout!r}")
        js = run(LEAN, *args, "--json")
        check(js.returncode == 2, f"{name} --json: exit {js.returncode}, not 2")
        try:
            error = json.loads(js.stdout)["error"]
        except (ValueError, KeyError, TypeError):
            error = {}
        check(error.get("code") == "USAGE" and "ESMS_SERVICE" in error.get("message", ""),
              f"{name} --json: stdout {js.stdout!r}")
        check(not os.path.exists(f"{tmp}/l.db") and not os.path.exists(f"{tmp}/copy"),
              f"{name}: wrote something")

    # The options are still parsed: a missing one is the usual usage error.
    missing = run(LEAN, "mirror", "--dir", f"{tmp}/copy", "--trust", f"{tmp}/k.pub")
    check(missing.returncode == 2 and "--from is required" in missing.stderr,
          f"mirror without --from: {missing.returncode} {missing.stderr!r}")
    unknown = run(LEAN, "serve", "--listen", sock, "--no-such-option")
    check(unknown.returncode == 2 and "no-such-option" in unknown.stderr,
          f"serve --no-such-option: {unknown.returncode} {unknown.stderr!r}")

    lean_help, full_help = run(LEAN, "--help"), run(FULL, "--help")
    check(lean_help.returncode == 0 and full_help.returncode == 0, "--help exit codes")
    check("This build has no service layer" in lean_help.stdout, "the lean --help's note")
    check("This build has no service layer" not in full_help.stdout, "the whole --help's note")
    check(lean_help.stdout.startswith(full_help.stdout.rstrip("\n")),
          "the lean --help is the whole one plus its note")

    # The demo: the same walk-through and ledger as the whole program's, timings aside.
    def demo(binary):
        out = run(binary, "demo", "--dir", f"{tmp}/demo", "--establishments", "150", "--seed", "7")
        check(out.returncode == 0, f"{binary} demo: exit {out.returncode}: {out.stderr[-500:]}")
        timings = re.compile(r"[0-9][0-9 ]*(\.[0-9]+)? (s|events/s)\b")
        return timings.sub("T", out.stdout)

    lean_demo, full_demo = demo(LEAN), demo(FULL)
    check(lean_demo == full_demo, "the demo's output differs between the two programs")
    check("Merkle root" in lean_demo and lean_demo.startswith("esms-ledger demo: "),
          f"the demo's output: {lean_demo[:300]!r}")

print(f"{checks['passed']} passed, {checks['failed']} failed")
sys.exit(1 if checks["failed"] else 0)
