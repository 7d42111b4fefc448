#!/usr/bin/env python3
"""Checks esms-ledger's proofs and checkpoints with code that shares nothing with it.

RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) verification are written here
from the RFC's pseudo-code, SHA-256 comes from Python's hashlib, and the checkpoint's
Ed25519 signature (C2SP signed-note) is checked by the `openssl` command. The ledger is
built through the program's own commands in a temporary directory.

Usage: independent_verify.py PATH/TO/esms-ledger
Prints 'N passed, 0 failed' and exits 0 when everything checks.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
checks = {"passed": 0, "failed": 0}


def run(*args, stdin=None):
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"esms-ledger {' '.join(args)} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc.stdout


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAILED: {what}")


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf_hash, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, proof, first_hash, second_hash):
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:  # a power of two: prepend first_hash
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


def verify_note(note, verifier_line, workdir):
    """C2SP signed-note: key hash and Ed25519 signature, the signature checked by openssl."""
    name, key_hash_hex, key_b64 = verifier_line.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 1 and len(key) == 33, "Ed25519 verifier key"
    pub = key[1:]
    expected_hash = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4]
    check(expected_hash.hex() == key_hash_hex, "verifier key hash")
    body, _, sigs = note.partition("\n\n")
    body += "\n"
    for line in sigs.splitlines():
        dash, sig_name, sig_b64 = line.split(" ")
        if dash != "\u2014" or sig_name != name:
            continue
        raw = base64.b64decode(sig_b64)
        check(raw[:4] == expected_hash, "signature key hash")
        der = bytes.fromhex("302a300506032b6570032100") + pub
        pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"
        paths = {n: os.path.join(workdir, n) for n in ("pub.pem", "msg", "sig")}
        with open(paths["pub.pem"], "w") as f:
            f.write(pem)
        with open(paths["msg"], "wb") as f:
            f.write(body.encode())
        with open(paths["sig"], "wb") as f:
            f.write(raw[4:])
        proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                               "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                              capture_output=True, text=True)
        check(proc.returncode == 0, f"openssl verifies the checkpoint signature: {proc.stdout}{proc.stderr}")
        with open(paths["msg"], "wb") as f:
            f.write(body.replace("\n", "\n ", 1).encode())
        proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                               "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                              capture_output=True, text=True)
        check(proc.returncode != 0, "openssl refuses the signature over an altered body")
        return body
    check(False, "a signature by the ledger key")
    return body


def main():
    with tempfile.TemporaryDirectory() as d:
        led = os.path.join(d, "ledger.db")
        admin, dgos = os.path.join(d, "admin.pem"), os.path.join(d, "dgos.pem")
        run("key", "new", "admin", "--out", admin)
        pub = json.loads(run("key", "new", "dgos", "--out", dgos, "--json"))["publicKey"]
        run("init", "--origin", "independent.example/esms", "--admin-key", admin, "--ledger", led)
        enrol = {"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02",
                 "data": {"name": "dgos", "publicKey": pub, "roles": ["national"], "regions": []}}
        run("import", "-", "--key", admin, "--ledger", led, stdin=json.dumps(enrol) + "\n")
        lines = []
        for i in range(45):
            lines.append(json.dumps({
                "id": f"sol-{i}", "type": "solution.referenced", "at": "2023-02-01",
                "data": {"solution": {"vendor": f"Editeur {i % 5}", "product": "DUI", "version": f"{i}.0"},
                         "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}))
        run("import", "-", "--key", dgos, "--ledger", led, stdin="\n".join(lines) + "\n")
        size = 47

        cp = json.loads(run("checkpoint", "--ledger", led, "--json"))  # every commit keeps one
        with open(os.path.join(led, "ledger.pub")) as f:
            verifier_line = f.read().strip()
        body = verify_note(cp["note"], verifier_line, d)
        origin, size_text, root_b64 = body.splitlines()[:3]
        check(origin == "independent.example/esms", "checkpoint origin")
        check(int(size_text) == size == cp["size"], "checkpoint size")
        root = base64.b64decode(root_b64)
        check(root.hex() == cp["root"], "checkpoint root matches --json root")
        check(json.loads(run("verify", "--json", "--ledger", led))["root"] == root.hex(), "verify root")

        for seq in range(size):
            p = json.loads(run("prove", str(seq), "--json", "--ledger", led))
            proof = [bytes.fromhex(h) for h in p["proof"]]
            leaf = bytes.fromhex(p["leafHash"])
            check(p["root"] == root.hex(), f"prove {seq}: root")
            check(verify_inclusion(seq, size, leaf, proof, root), f"prove {seq}: inclusion")
            if proof:
                bad = list(proof)
                bad[-1] = bytes([bad[-1][0] ^ 1]) + bad[-1][1:]
                check(not verify_inclusion(seq, size, leaf, bad, root), f"prove {seq}: flipped proof refused")

        roots = {}
        for old in range(1, size + 1):
            roots[old] = bytes.fromhex(json.loads(run("prove", "0", "--size", str(old), "--json",
                                                      "--ledger", led))["root"])
        for old in range(1, size + 1, 3):
            c = json.loads(run("consistency", str(old), str(size), "--json", "--ledger", led))
            proof = [bytes.fromhex(h) for h in c["proof"]]
            check(bytes.fromhex(c["oldRoot"]) == roots[old], f"consistency {old}: old root")
            check(verify_consistency(old, size, proof, roots[old], root), f"consistency {old} -> {size}")
            if proof:
                bad = list(proof)
                bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
                check(not verify_consistency(old, size, bad, roots[old], root),
                      f"consistency {old}: flipped proof refused")

    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
