#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz that come from a real ledger (record format 2).

Builds a small ledger with the program's own commands — an admin, a porteur and an ARS
key enrolled; the porteur's submission signed offline with `sign` and imported with no
key; the ARS's selection signed on the spot — then writes:
  corpus/bundle_verify/   project-bundle.json (its bundle), truncated.json, minimal.json
  bundle_trust.pub        the ledger key's verifier line (the bundle fuzzer trusts it)
  corpus/record_decode/   record-N.bin (each record's bytes) and statement-N.bin (its
                          statement: the bytes its author signed)
  corpus/note_parse/      checkpoint.note (signed at the last commit), tlog-proof.txt (a
                          receipt), cosigned.note (a witness's cosignature)
Keys are new each run, so the files change every time: run it when the record format
changes, and commit the result (the fuzzers read the corpus as it is in the tree).

Usage: tests/fuzz/make_corpus.py PATH/TO/esms-ledger
"""
import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
ORIGIN = "fuzz.example/bundle"

SUBMISSION = {
    "id": "bzh-2024-0001", "type": "project.submitted", "at": "2024-03-10",
    "data": {
        "amoaRequestedCents": 5000000, "campaign": "generalisation-2024",
        "establishments": [
            {"equipmentQuoteCents": 850000, "finess": "350004560", "finessEj": "350001236",
             "name": "SAAD du Pays de Rennes", "region": "53",
             "saadHours": {"eligible": 9000, "total": 12000}, "situation": "acquisition"},
            {"finess": "350045670", "finessEj": "350001236", "name": "EHPAD Les Tilleuls",
             "region": "53", "situation": "upgrade"},
            {"finess": "290004563", "finessEj": "290001239", "name": "IME de Brest",
             "region": "53", "situation": "acquisition"}],
        "kind": "mixed",
        "organisations": [
            {"essmsTotal": 12, "finessEj": "350001236", "name": "Association Les Genêts d'Or",
             "region": "53"},
            {"essmsTotal": 40, "finessEj": "290001239", "name": "Fondation Ildys", "region": "53"}],
        "porteur": {"finessEj": "350001236", "ght": False, "name": "Association Les Genêts d'Or",
                    "nationalEntityAgreement": True, "siret": "35200123400017"},
        "project": "BZH-2024-007",
        "solution": {"product": "DUI Social", "vendor": "Editeur Ouest", "version": "5.2"},
        "submittedAt": "2024-03-10"}}
SELECTION = {"id": "sel", "type": "project.selected", "at": "2024-04-15", "expectedVersion": 1,
             "data": {"committeeAt": "2024-04-15", "project": "BZH-2024-007"}}


def run(*args, stdin=None, may_fail=False):
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        if may_fail:
            return None
        sys.exit(f"esms-ledger {' '.join(args)} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc.stdout


def write(path, content):
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode) as f:
        f.write(content)


def main():
    sys.path.insert(0, os.path.join(HERE, "..", "cli"))
    sys.argv = [sys.argv[0], BIN]
    import independent_verify as iv  # the spec-written record reader

    with tempfile.TemporaryDirectory() as d:
        led = os.path.join(d, "ledger")
        keys = {}
        for name in ("admin", "porteur", "ars", "witness"):
            path = os.path.join(d, name + ".pem")
            keys[name] = (path, json.loads(run("key", "new", name, "--out", path, "--json"))["publicKey"])
        run("init", "--origin", ORIGIN, "--admin-key", keys["admin"][0], "--ledger", led)
        pub = os.path.join(led, "ledger.pub")
        enrolments = [
            {"id": "key-porteur", "type": "key.enrolled", "at": "2023-01-02",
             "data": {"name": "porteur", "publicKey": keys["porteur"][1], "roles": ["porteur"], "regions": []}},
            {"id": "key-ars", "type": "key.enrolled", "at": "2023-01-02",
             "data": {"name": "ars", "publicKey": keys["ars"][1], "roles": ["ars-instructor"], "regions": ["53"]}}]
        run("import", "-", "--key", keys["admin"][0], "--ledger", led,
            stdin="".join(json.dumps(e) + "\n" for e in enrolments))
        plain = os.path.join(d, "submission.jsonl")
        signed = os.path.join(d, "submission.signed.jsonl")
        write(plain, json.dumps(SUBMISSION) + "\n")
        if run("sign", plain, "--key", keys["porteur"][0], "--trust", pub, "--out", signed,
               may_fail=True) is not None:
            run("import", signed, "--ledger", led)
        else:  # a program without `sign`: the statement signed on the spot
            print("no `sign` command: the submission is signed on the spot", file=sys.stderr)
            run("import", plain, "--key", keys["porteur"][0], "--ledger", led)
        run("import", "-", "--key", keys["ars"][0], "--ledger", led, stdin=json.dumps(SELECTION) + "\n")
        latest = json.loads(run("checkpoint", "--json", "--ledger", led))
        if latest["size"] != 5:  # a program that does not sign a checkpoint at every commit
            print("no checkpoint at every commit: one signed with the admin key", file=sys.stderr)
            run("checkpoint", "--key", keys["admin"][0], "--ledger", led)

        out = os.path.join(d, "bundle.json")
        run("bundle", "BZH-2024-007", "--at", "2026-11-23", "--out", out, "--ledger", led)
        with open(out) as f:
            bundle = f.read()
        bdir = os.path.join(CORPUS, "bundle_verify")
        write(os.path.join(bdir, "project-bundle.json"), bundle)
        write(os.path.join(bdir, "truncated.json"), bundle[: len(bundle) * 5 // 6])
        write(os.path.join(bdir, "minimal.json"), '{"format": "esms-ledger-bundle/v2"}')
        with open(pub) as f:
            write(os.path.join(HERE, "bundle_trust.pub"), f.readline())

        rdir = os.path.join(CORPUS, "record_decode")
        for old in os.listdir(rdir):
            os.remove(os.path.join(rdir, old))
        size = json.loads(run("checkpoint", "--json", "--ledger", led))["size"]
        for seq in range(size):
            proof = run("prove", str(seq), "--format", "tlog-proof", "--ledger", led)
            _, extra, _, _ = iv.parse_tlog_proof(proof)
            write(os.path.join(rdir, f"record-{seq}.bin"), extra)
            write(os.path.join(rdir, f"statement-{seq}.bin"), iv.read_record(extra)["statement"])
            if seq == size - 1:
                write(os.path.join(CORPUS, "note_parse", "tlog-proof.txt"), proof)
        write(os.path.join(CORPUS, "note_parse", "checkpoint.note"), run("checkpoint", "--ledger", led))
        cosigned = json.loads(run("witness", "cosign", "--key", keys["witness"][0], "--name", "witness",
                                  "--state", os.path.join(d, "w.state"), "--ledger", led, "--json"))
        write(os.path.join(CORPUS, "note_parse", "cosigned.note"), cosigned["note"])
    print(f"corpus written from a ledger of {size} records")


if __name__ == "__main__":
    main()
