#!/usr/bin/env python3
"""Checks esms-ledger's evidence with code that shares nothing with it.

Written from the specifications, not from the ledger's reader: RFC 9162 §2.1.3.2
(inclusion) and §2.1.4.2 (consistency) from the RFC's pseudo-code; C2SP signed-note,
tlog-checkpoint, tlog-cosignature (cosignature/v1) and tlog-proof@v1; the Cap'n Proto
encoding spec (canonical form: single segment, no segment table) and docs/format.md
(format 2: the Record and the Statement an author signs) to read record bytes.
SHA-256 comes from Python's hashlib and every Ed25519 signature (checkpoints, witness
cosignatures, authors' statements) is checked by the `openssl` command. The ledger is
built through the program's own commands in a temporary directory: events signed
offline with `sign` and imported with no key, the checkpoint the ledger signs at every
commit (no manual `checkpoint`), receipts (`prove --format tlog-proof`), a witness.

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


def openssl_verify(pub, message, signature, workdir):
    """Pure Ed25519 (RFC 8032) by `openssl pkeyutl -rawin`, the key wrapped in an SPKI."""
    der = bytes.fromhex("302a300506032b6570032100") + pub
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"
    paths = {n: os.path.join(workdir, n) for n in ("pub.pem", "msg", "sig")}
    with open(paths["pub.pem"], "w") as f:
        f.write(pem)
    with open(paths["msg"], "wb") as f:
        f.write(message)
    with open(paths["sig"], "wb") as f:
        f.write(signature)
    proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                           "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                          capture_output=True, text=True)
    return proc.returncode == 0


def parse_verifier(line, type_byte):
    """C2SP signed-note verifier key: name+hex(key hash)+base64(type || key)."""
    name, key_hash_hex, key_b64 = line.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == type_byte and len(key) == 33, f"verifier key of type {type_byte}"
    pub = key[1:]
    key_hash = hashlib.sha256(name.encode() + b"\n" + bytes([type_byte]) + pub).digest()[:4]
    check(key_hash.hex() == key_hash_hex, f"verifier key hash of {name}")
    return name, key_hash, pub


def split_note(note):
    body, _, sigs = note.partition("\n\n")
    return body + "\n", [line.split(" ") for line in sigs.splitlines()]


def verify_note(note, verifier_line, workdir, tamper_check=True):
    """C2SP signed-note: key hash and Ed25519 signature, the signature checked by openssl."""
    name, key_hash, pub = parse_verifier(verifier_line, 1)
    body, lines = split_note(note)
    for dash, sig_name, sig_b64 in lines:
        if dash != "\u2014" or sig_name != name:
            continue
        raw = base64.b64decode(sig_b64)
        if raw[:4] != key_hash:
            continue
        check(openssl_verify(pub, body.encode(), raw[4:], workdir),
              "openssl verifies the checkpoint signature")
        if tamper_check:
            check(not openssl_verify(pub, body.replace("\n", "\n ", 1).encode(), raw[4:], workdir),
                  "openssl refuses the signature over an altered body")
        return body
    check(False, "a signature by the ledger key")
    return body


def verify_cosignature(note, witness_line, workdir):
    """C2SP tlog-cosignature: cosignature/v1, key type 0x04; the witness signs
    'cosignature/v1\\ntime T\\n' + the checkpoint body. Returns T."""
    name, key_hash, pub = parse_verifier(witness_line, 4)
    body, lines = split_note(note)
    for dash, sig_name, sig_b64 in lines:
        raw = base64.b64decode(sig_b64)
        if dash != "\u2014" or sig_name != name or raw[:4] != key_hash:
            continue
        check(len(raw) == 4 + 8 + 64, "cosignature length")
        time = int.from_bytes(raw[4:12], "big")
        message = f"cosignature/v1\ntime {time}\n".encode() + body.encode()
        check(openssl_verify(pub, message, raw[12:], workdir), "openssl verifies the cosignature")
        check(not openssl_verify(pub, message.replace(b"time ", b"time 1", 1), raw[12:], workdir),
              "openssl refuses the cosignature with another time")
        return time
    check(False, f"a cosignature by {name}")
    return None


def parse_tlog_proof(text):
    """c2sp.org/tlog-proof@v1: header, optional 'extra B64', 'index N', base64 hashes,
    a blank line, then the checkpoint note."""
    head, _, note = text.partition("\n\n")
    lines = head.split("\n")
    check(lines[0] == "c2sp.org/tlog-proof@v1", "tlog-proof header")
    extra = None
    i = 1
    if lines[i].startswith("extra "):
        extra = base64.b64decode(lines[i][len("extra "):])
        i += 1
    check(lines[i].startswith("index "), "tlog-proof index line")
    index = int(lines[i][len("index "):])
    proof = [base64.b64decode(h) for h in lines[i + 1:]]
    return index, extra, proof, note


# ---- Cap'n Proto, canonical form (the encoding spec): a single segment with no segment
# table, starting with the root pointer; little-endian 64-bit words.

def word(buf, i):
    if 8 * i + 8 > len(buf):
        raise ValueError("pointer out of the message")
    return int.from_bytes(buf[8 * i:8 * i + 8], "little")


def follow(buf, at):
    """The pointer at word `at`: None (null), ('struct', start, data words, pointers) or
    ('list', start, element size code, count). Far pointers never occur in one segment."""
    p = word(buf, at)
    if p == 0:
        return None
    offset = (p >> 2) & 0x3FFFFFFF
    if offset & 0x20000000:
        offset -= 0x40000000
    start = at + 1 + offset
    if p & 3 == 0:
        return "struct", start, (p >> 32) & 0xFFFF, p >> 48
    if p & 3 == 1:
        return "list", start, (p >> 32) & 7, p >> 35
    raise ValueError("not a struct or list pointer")


class Struct:
    def __init__(self, buf, at=0):
        kind, start, data_words, pointers = follow(buf, at)
        if kind != "struct":
            raise ValueError("not a struct")
        self.buf, self.start, self.data_words, self.pointers = buf, start, data_words, pointers

    def u64(self, i):  # data word i; a truncated (absent) word reads 0
        return word(self.buf, self.start + i) if i < self.data_words else 0

    def bit(self, n):
        return (self.u64(n // 64) >> (n % 64)) & 1 == 1

    def pointer(self, i):
        return follow(self.buf, self.start + self.data_words + i) if i < self.pointers else None

    def data(self, i):  # Data: a list of bytes (element size code 2)
        target = self.pointer(i)
        if target is None:
            return None
        kind, start, size, count = target
        if kind != "list" or size != 2:
            raise ValueError("not a byte list")
        if 8 * start + count > len(self.buf):
            raise ValueError("list out of the message")
        return bytes(self.buf[8 * start:8 * start + count])

    def text(self, i):  # Text: a byte list ending in NUL
        raw = self.data(i)
        if raw is None:
            return None
        if not raw or raw[-1] != 0:
            raise ValueError("text without its NUL")
        return raw[:-1].decode()

    def texts(self, i):  # List(Text): a list of pointers (size code 6)
        target = self.pointer(i)
        if target is None:
            return []
        kind, start, size, count = target
        if kind != "list" or size != 6:
            raise ValueError("not a list of pointers")
        out = []
        for k in range(count):
            t = follow(self.buf, start + k)
            _, s, _, n = t
            out.append(bytes(self.buf[8 * s:8 * s + n - 1]).decode())
        return out


def read_record(raw):
    """docs/format.md §1 (format 2). Record: seq @0, prevHash @1, recordedAt @2,
    streamVersion @3, statement @4 (the canonical Statement bytes, exactly as signed),
    signature @5. Statement: origin @0, eventId @1, type @2, stream @3, at @4,
    expectedVersion @5, hasExpectedVersion @6, payload @7, signer @8. Data words and
    pointers are in the order Cap'n Proto assigns them: Record: words seq, recordedAt,
    streamVersion; pointers prevHash, statement, signature. Statement: words
    expectedVersion, then hasExpectedVersion at bit 64; pointers origin, eventId, type,
    stream, at, payload, signer."""
    r = Struct(raw)
    statement = r.data(1)
    s = Struct(statement)
    return {
        "seq": r.u64(0), "recordedAt": r.u64(1), "streamVersion": r.u64(2),
        "prevHash": r.data(0), "statement": statement, "signature": r.data(2),
        "origin": s.text(0), "id": s.text(1), "type": s.text(2), "stream": s.text(3),
        "at": s.text(4), "expectedVersion": s.u64(0) if s.bit(64) else None,
        "payload": s.data(5), "signer": s.text(6),
    }


def read_key_enrolled(payload):
    """KeyEnrolled { name @0 :Text; publicKey @1 :Data; roles @2; regions @3 }."""
    k = Struct(payload)
    return {"name": k.text(0), "publicKey": k.data(1), "roles": k.texts(2), "regions": k.texts(3)}


def flip(raw, at):
    return raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:]


def solution_line(i, expected=None):
    event = {"id": f"sol-{i}", "type": "solution.referenced", "at": "2023-02-01",
             "data": {"solution": {"vendor": f"Editeur {i % 5}", "product": "DUI", "version": f"{i}.0"},
                      "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}
    if expected is not None:
        event["expectedVersion"] = expected
    return json.dumps(event)


def main():
    with tempfile.TemporaryDirectory() as d:
        led = os.path.join(d, "ledger.db")
        origin = "independent.example/esms"
        admin, dgos = os.path.join(d, "admin.pem"), os.path.join(d, "dgos.pem")
        admin_pub = base64.b64decode(json.loads(run("key", "new", "admin", "--out", admin, "--json"))["publicKey"])
        pub = json.loads(run("key", "new", "dgos", "--out", dgos, "--json"))["publicKey"]
        run("init", "--origin", origin, "--admin-key", admin, "--ledger", led)
        ledger_pub = os.path.join(led, "ledger.pub")
        with open(ledger_pub) as f:
            verifier_line = f.read().strip()
        enrol = {"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02",
                 "data": {"name": "dgos", "publicKey": pub, "roles": ["national"], "regions": []}}
        run("import", "-", "--key", admin, "--ledger", led, stdin=json.dumps(enrol) + "\n")

        # Events signed offline on "dgos's machine" (no ledger there: only ledger.pub),
        # then imported with no key, in two imports. Every fifth gives expectedVersion
        # (the programme stream holds genesis and key-dgos, then sol-0, sol-1, ...).
        notes = []
        for first, last in ((0, 20), (20, 45)):
            plain = os.path.join(d, f"plain-{first}.jsonl")
            signed = os.path.join(d, f"signed-{first}.jsonl")
            with open(plain, "w") as f:
                for i in range(first, last):
                    f.write(solution_line(i, i + 2 if i % 5 == 0 else None) + "\n")
            run("sign", plain, "--key", dgos, "--trust", ledger_pub, "--out", signed)
            with open(signed) as f:
                for line in f:
                    entry = json.loads(line)
                    check(set(entry) == {"event", "signer", "signature"}, "a signed line has event, signer, signature")
                    check(entry["signer"] == "dgos", "the signed line names its signer")
            run("import", signed, "--ledger", led)  # no --key: the lines carry their signatures
            # The ledger signed a checkpoint at this commit: nobody ran `checkpoint --key`.
            notes.append(json.loads(run("checkpoint", "--ledger", led, "--json")))
        size = 47
        check([n["size"] for n in notes] == [22, size], "a checkpoint covering every import, kept by the ledger")

        cp = notes[-1]
        body = verify_note(cp["note"], verifier_line, d)
        cp_origin, size_text, root_b64 = body.splitlines()[:3]
        check(cp_origin == origin, "checkpoint origin")
        check(int(size_text) == size == cp["size"], "checkpoint size")
        root = base64.b64decode(root_b64)
        check(root.hex() == cp["root"], "checkpoint root matches --json root")
        check(json.loads(run("verify", "--json", "--ledger", led))["root"] == root.hex(), "verify root")

        # Two checkpoints the ledger signed at two commits: the older is a prefix of the newer.
        old_body = verify_note(notes[0]["note"], verifier_line, d, tamper_check=False)
        old_size, old_root = int(old_body.splitlines()[1]), base64.b64decode(old_body.splitlines()[2])
        c = json.loads(run("consistency", str(old_size), str(size), "--json", "--ledger", led))
        check(verify_consistency(old_size, size, [bytes.fromhex(h) for h in c["proof"]], old_root, root),
              "consistency between the checkpoints of two commits")

        # Receipts: a tlog-proof per record, checked alone; the record read from its bytes.
        keys, previous = {}, None
        for seq in range(size):
            text = run("prove", str(seq), "--format", "tlog-proof", "--ledger", led)
            index, extra, proof, note = parse_tlog_proof(text)
            check(index == seq and extra is not None, f"receipt {seq}: index and record bytes")
            note_body = verify_note(note, verifier_line, d, tamper_check=False)
            n_size, n_root = int(note_body.splitlines()[1]), base64.b64decode(note_body.splitlines()[2])
            leaf = hashlib.sha256(b"\x00" + extra).digest()
            check(verify_inclusion(seq, n_size, leaf, proof, n_root), f"receipt {seq}: inclusion")
            check(not verify_inclusion(seq, n_size, hashlib.sha256(b"\x00" + flip(extra, len(extra) - 9)).digest(),
                                       proof, n_root), f"receipt {seq}: altered record bytes refused")
            rec = read_record(extra)
            check(rec["seq"] == seq, f"receipt {seq}: the record's seq is the index")
            check(rec["origin"] == origin, f"seq {seq}: the statement names the ledger's origin")
            check(len(rec["prevHash"]) == 32 and len(rec["signature"]) == 64, f"seq {seq}: field sizes")
            expected_prev = bytes(32) if previous is None else hashlib.sha256(b"\x02" + previous).digest()
            check(rec["prevHash"] == expected_prev, f"seq {seq}: prevHash = SHA-256(0x02 || previous record)")
            previous = extra
            if rec["expectedVersion"] is not None:
                check(rec["streamVersion"] == rec["expectedVersion"],
                      f"seq {seq}: recorded at the stream version the author signed")
            # The author's signature, over the statement alone, with the key as enrolled.
            if rec["type"] == "key.enrolled":
                enrolled = read_key_enrolled(rec["payload"])
                if seq == 0:
                    check(enrolled["name"] == rec["signer"] and enrolled["publicKey"] == admin_pub,
                          "genesis enrols the admin with its own key")
                    keys[rec["signer"]] = enrolled["publicKey"]
            signer_key = keys.get(rec["signer"])
            check(signer_key is not None, f"seq {seq}: signer {rec['signer']} enrolled before")
            if signer_key is not None:
                check(openssl_verify(signer_key, rec["statement"], rec["signature"], d),
                      f"seq {seq}: openssl verifies the author's signature of the statement")
                if seq % 10 == 3:
                    check(not openssl_verify(signer_key, flip(rec["statement"], len(rec["statement"]) - 12),
                                             rec["signature"], d),
                          f"seq {seq}: openssl refuses an altered statement")
            if rec["type"] == "key.enrolled":
                keys[enrolled["name"]] = enrolled["publicKey"]
        check(keys.get("dgos") == base64.b64decode(pub), "key-dgos enrols dgos's public key")

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

        # A witness cosigns the latest checkpoint (C2SP tlog-cosignature).
        witness = os.path.join(d, "witness.pem")
        run("key", "new", "w", "--out", witness)
        witness_line = run("witness", "key", "--key", witness, "--name", "dgos-witness").strip()
        cosigned = json.loads(run("witness", "cosign", "--key", witness, "--name", "dgos-witness",
                                  "--state", os.path.join(d, "witness.state"), "--ledger", led, "--json"))
        check(split_note(cosigned["note"])[0] == body, "the cosigned note keeps the checkpoint body")
        verify_note(cosigned["note"], verifier_line, d, tamper_check=False)
        check(verify_cosignature(cosigned["note"], witness_line, d) == cosigned["time"], "cosignature time")

    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
