#!/usr/bin/env python3
"""Talks to `esms-ledger witness serve` with a client that shares nothing with it.

Written from the specifications, not from the project's code: c2sp.org/tlog-witness
(the add-checkpoint request and its answers: 200 with note signature lines, 409 with
the witness's size as text/x.tlog.size, 403 for a checkpoint no trusted key signed),
c2sp.org/tlog-cosignature (cosignature/v1: key ID SHA-256(name || "\\n" || 0x04 ||
key)[:4], timestamped_signature = u64 big-endian time || Ed25519 signature over
"cosignature/v1\\ntime <t>\\n" + the checkpoint body) and c2sp.org/signed-note (verifier
keys name+hash+base64(type || key), type 0x01 keys for the log's own signature).
HTTP is Python's http.client; Ed25519 is the `cryptography` package (Debian's
python3-cryptography under /usr/bin/python3), or, without it, the `openssl` command.

The ledger is built through the program's own commands in a temporary directory; the
consistency proofs come from `esms-ledger consistency --json` (hex) and are sent as the
spec's base64 lines.

Usage: independent_witness.py PATH/TO/esms-ledger
Prints 'N passed, 0 failed' and exits 0 when everything checks.
"""
import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
checks = {"passed": 0, "failed": 0}

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    import cryptography

    BACKEND = f"cryptography {cryptography.__version__} ({os.path.dirname(cryptography.__file__)})"
except ImportError:  # pragma: no cover - depends on the machine
    Ed25519PublicKey = None
    BACKEND = "openssl command"


def run(*args, stdin=None):
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"esms-ledger {' '.join(args)} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc.stdout


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAILED: {what}")


def ed25519_verify(pub, message, signature, workdir):
    if Ed25519PublicKey is not None:
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(signature, message)
            return True
        except InvalidSignature:
            return False
    der = bytes.fromhex("302a300506032b6570032100") + pub
    paths = {name: os.path.join(workdir, name) for name in ("pub.pem", "msg", "sig")}
    with open(paths["pub.pem"], "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() +
                "\n-----END PUBLIC KEY-----\n")
    with open(paths["msg"], "wb") as f:
        f.write(message)
    with open(paths["sig"], "wb") as f:
        f.write(signature)
    proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                           "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                          capture_output=True)
    return proc.returncode == 0


def parse_vkey(vkey, expected_type):
    """signed-note verifier key: name+hash+base64(type || key); the hash is checked."""
    name, key_hash, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    check(len(raw) == 33 and raw[0] == expected_type, f"{name}: a type 0x{expected_type:02x} key")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()[:4]
    check(key_id.hex() == key_hash, f"{name}: the verifier key's hash is its key ID")
    return name, key_id, raw[1:]


def split_note(note):
    body, _, sigs = note.partition("\n\n")
    lines = [l for l in sigs.split("\n") if l]
    return body + "\n", lines


def signature_lines(text):
    out = []
    for line in text.split("\n"):
        if not line:
            continue
        check(line.startswith("\u2014 "), f"a note signature line: {line!r}")
        name, _, b64 = line[2:].partition(" ")
        out.append((name, base64.b64decode(b64)))
    return out


def post(port, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("POST", "/add-checkpoint", body=body.encode(),
                 headers={"Content-Type": "text/plain"})
    resp = conn.getresponse()
    answer = (resp.status, resp.getheader("Content-Type", ""), resp.read().decode())
    conn.close()
    return answer


def request(old, proof_hex, note):
    lines = "".join(base64.b64encode(bytes.fromhex(h)).decode() + "\n" for h in proof_hex)
    return f"old {old}\n{lines}\n{note}"


def check_cosignature(answer_body, note, witness, workdir, what):
    name, key_id, pub = witness
    body, _ = split_note(note)
    cosigs = [(n, blob) for n, blob in signature_lines(answer_body) if n == name and blob[:4] == key_id]
    check(len(cosigs) >= 1, f"{what}: a cosignature line by {name} with its key ID")
    for _, blob in cosigs:
        check(len(blob) == 4 + 8 + 64, f"{what}: key ID, u64 timestamp, 64-byte signature")
        t = int.from_bytes(blob[4:12], "big")
        check(abs(t - time.time()) < 600 and t < 2**63, f"{what}: the timestamp is now ({t})")
        message = b"cosignature/v1\n" + f"time {t}\n".encode() + body.encode()
        check(ed25519_verify(pub, message, blob[12:], workdir),
              f"{what}: the cosignature verifies over cosignature/v1 + time + body")
        check(not ed25519_verify(pub, b"cosignature/v1\n" + f"time {t + 1}\n".encode() + body.encode(),
                                 blob[12:], workdir),
              f"{what}: and not with another time")


def main():
    with tempfile.TemporaryDirectory(prefix="esms-independent-witness-") as d:
        p = lambda name: os.path.join(d, name)
        run("key", "new", "admin", "--out", p("admin.pem"))
        run("key", "new", "w", "--out", p("w.pem"))
        ledger = p("ledger.db")
        run("init", "--origin", "ars-occitanie.example/esms", "--admin-key", p("admin.pem"),
            "--ledger", ledger)
        log_vkey = open(os.path.join(ledger, "ledger.pub")).read().split("\n")[0]
        log = parse_vkey(log_vkey, 0x01)

        def grow(n, first):
            lines = []
            for i in range(first, first + n):
                pub = json.loads(run("key", "new", f"j{i}", "--out", p(f"j{i}.pem"), "--json"))["publicKey"]
                lines.append(json.dumps({"id": f"key-{i}", "type": "key.enrolled", "at": "2024-01-02",
                                         "data": {"name": f"j{i}", "publicKey": pub,
                                                  "roles": ["auditor"], "regions": []}}))
            run("import", "-", "--key", p("admin.pem"), "--ledger", ledger, stdin="\n".join(lines) + "\n")

        server = subprocess.Popen([BIN, "witness", "serve", "--listen", "127.0.0.1:0", "--key", p("w.pem"),
                                   "--name", "witness.example/independent", "--state", p("state"),
                                   "--log", os.path.join(ledger, "ledger.pub"), "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            started = json.loads(server.stdout.readline())
            port = int(started["listening"].rsplit(":", 1)[1])
            witness = parse_vkey(started["witness"], 0x04)

            # The log's own signature on its checkpoint (signed-note, type 0x01).
            note = run("checkpoint", "--ledger", ledger)
            body, sigs = split_note(note)
            name, key_id, pub = log
            own = [blob for n, blob in signature_lines("\n".join(sigs)) if n == name and blob[:4] == key_id]
            check(len(own) == 1 and ed25519_verify(pub, body.encode(), own[0][4:], d),
                  "the checkpoint is signed by the ledger.pub key")
            size1 = int(body.split("\n")[1])

            status, ctype, answer = post(port, request(0, [], note))
            check(status == 200, f"a first checkpoint from old 0 is cosigned ({status} {answer!r})")
            check_cosignature(answer, note, witness, d, "first checkpoint")

            grow(3, 0)
            note2 = run("checkpoint", "--ledger", ledger)
            size2 = int(note2.split("\n")[1])
            status, ctype, answer = post(port, request(0, [], note2))
            check(status == 409, f"old 0 once the witness holds {size1}: 409 ({status})")
            check(ctype.split(";")[0].strip() == "text/x.tlog.size", f"409 as text/x.tlog.size ({ctype})")
            check(answer == f"{size1}\n", f"409 body is the size held and a newline ({answer!r})")

            proof = json.loads(run("consistency", str(size1), str(size2), "--ledger", ledger, "--json"))["proof"]
            status, ctype, answer = post(port, request(size1, proof, note2))
            check(status == 200, f"old {size1} + its consistency proof to {size2}: cosigned ({status} {answer!r})")
            check_cosignature(answer, note2, witness, d, "grown checkpoint")

            # A proof with one hash altered does not verify: 422.
            grow(2, 10)
            note3 = run("checkpoint", "--ledger", ledger)
            size3 = int(note3.split("\n")[1])
            proof = json.loads(run("consistency", str(size2), str(size3), "--ledger", ledger, "--json"))["proof"]
            bad = [("00" if proof[0][:2] != "00" else "11") + proof[0][2:]] + proof[1:]
            status, _, answer = post(port, request(size2, bad, note3))
            check(status == 422, f"an altered consistency proof: 422 ({status} {answer!r})")

            # The checkpoint's root altered: no trusted signature verifies: 403.
            lines = note3.split("\n")
            root = base64.b64decode(lines[2])
            lines[2] = base64.b64encode(bytes([root[0] ^ 1]) + root[1:]).decode()
            status, _, answer = post(port, request(size2, proof, "\n".join(lines)))
            check(status == 403, f"a checkpoint whose signature does not verify: 403 ({status})")

            status, _, answer = post(port, request(size2, proof, note3))
            check(status == 200, f"the true proof afterwards: cosigned ({status} {answer!r})")
            check_cosignature(answer, note3, witness, d, "third checkpoint")
        finally:
            server.terminate()
            server.wait(timeout=20)
        check(server.returncode == 0, f"SIGTERM stops the witness cleanly ({server.returncode})")

    print(f"Ed25519 by {BACKEND}")
    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 0 if checks["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
