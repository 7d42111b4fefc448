#!/usr/bin/env python3
"""Checks `esms-ledger export-tiles` with code that shares nothing with it.

The tiles directory is read as any C2SP tlog-tiles client would (c2sp.org/tlog-tiles,
c2sp.org/tlog-checkpoint, c2sp.org/signed-note), with everything written here from the
specs: the tile paths (3-digit groups, x-prefixed, .p/<W> for partial tiles), the entry
bundles (big-endian uint16 lengths), the RFC 6962 Merkle Tree Hash computed over the
entries from scratch, SHA-256 from Python's hashlib, and the checkpoint's Ed25519
signature checked by the `openssl` command. The ledger is built through the program's
own commands in a temporary directory; the export is run, the ledger grown, the export
run again, and the files it rewrote are compared with what the spec says changed.

With --http-server PATH/TO/esms_http_serve, the same reader fetches the tiles over HTTP
from the service's HTTP front (service/http.h) instead of a directory, with urllib: the
checkpoint and every tile of two trees, each response's status, Content-Type and
Cache-Control as c2sp.org/tlog-tiles asks, every served file byte for byte the one
export-tiles wrote, a partial tile of the older tree still served, and a 404 beyond the
tree.

Usage: independent_tiles.py PATH/TO/esms-ledger [--http-server PATH/TO/esms_http_serve]
Prints 'N passed, 0 failed' and exits 0 when everything checks.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

BIN = sys.argv[1]
HTTP_SERVER = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--http-server" else None
ORIGIN = "independent-tiles.example/esms"
checks = {"passed": 0, "failed": 0}


def run(*args, stdin=None, expect=0):
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != expect:
        sys.exit(f"esms-ledger {' '.join(args)} exited {proc.returncode}, not {expect}: "
                 f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAILED: {what}")


class Invalid(Exception):
    """The tiles do not check."""


# --- RFC 6962 §2.1 -------------------------------------------------------------------

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves, lo, hi, memo):
    """MTH(D[lo:hi]) over the leaf hashes: split at the largest power of two < n."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[lo]
    if (lo, hi) in memo:
        return memo[(lo, hi)]
    k = 1
    while k * 2 < n:
        k *= 2
    h = node_hash(mth(leaves, lo, lo + k, memo), mth(leaves, lo + k, hi, memo))
    memo[(lo, hi)] = h
    return h


# --- c2sp.org/tlog-tiles --------------------------------------------------------------

def index_path(n):
    """'Zero-padded 3-digit path elements. All but the last path element MUST begin with an x.'"""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g:03d}" for g in groups[:-1]] + [f"{groups[-1]:03d}"])


def tile_path(level, n, width):
    """tile/<L>/<N>[.p/<W>], level 'entries' for entry bundles."""
    return f"tile/{level}/{index_path(n)}" + ("" if width == 256 else f".p/{width}")


def tiles_of(size):
    """(level, n, width) of every tile of a tree of `size`: at level l, floor(s / 256**l)
    hashes, in full tiles of 256 and one partial tile of the rest ('Empty tiles MUST NOT be
    served')."""
    out = []
    level = 0
    while size // 256 ** level > 0:
        hashes = size // 256 ** level
        out += [(level, n, 256) for n in range(hashes // 256)]
        if hashes % 256:
            out.append((level, hashes // 256, hashes % 256))
        level += 1
    return out


def parse_bundle(data, path):
    """'Entry bundles are sequences of big-endian uint16 length-prefixed log entries.'"""
    entries, at = [], 0
    while at < len(data):
        if len(data) - at < 2:
            raise Invalid(f"{path}: a length cut short")
        n = int.from_bytes(data[at:at + 2], "big")
        at += 2
        if len(data) - at < n:
            raise Invalid(f"{path}: an entry cut short")
        entries.append(data[at:at + n])
        at += n
    return entries


# --- c2sp.org/signed-note, c2sp.org/tlog-checkpoint -------------------------------------

def open_checkpoint(note, verifier_line, workdir):
    """The checkpoint (origin, size, root) if `note` carries a valid Ed25519 signature by
    the verifier key; the signature is checked by openssl."""
    name, key_hash_hex, key_b64 = verifier_line.split("+", 2)
    key = base64.b64decode(key_b64)
    if key[0] != 1 or len(key) != 33:
        raise Invalid("not an Ed25519 verifier key")
    pub = key[1:]
    key_hash = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4]
    if key_hash.hex() != key_hash_hex:
        raise Invalid("verifier key hash")
    text, sep, sigs = note.partition("\n\n")
    if not sep:
        raise Invalid("checkpoint: no signature block")
    text += "\n"
    for line in sigs.splitlines():
        dash, sig_name, sig_b64 = line.split(" ")
        raw = base64.b64decode(sig_b64)
        if dash != "\u2014" or sig_name != name or raw[:4] != key_hash:
            continue  # 'verifiers ignore signatures by unknown keys'
        der = bytes.fromhex("302a300506032b6570032100") + pub
        pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"
        paths = {n: os.path.join(workdir, n) for n in ("pub.pem", "msg", "sig")}
        with open(paths["pub.pem"], "w") as f:
            f.write(pem)
        with open(paths["msg"], "wb") as f:
            f.write(text.encode())
        with open(paths["sig"], "wb") as f:
            f.write(raw[4:])
        proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                               "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise Invalid(f"checkpoint: openssl refuses the signature: {proc.stdout}{proc.stderr}")
        origin, size, root = text.splitlines()[:3]
        return origin, int(size), base64.b64decode(root)
    raise Invalid("checkpoint: no signature by the log's key")


def fetch(url):
    """(status, headers, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def read(tiles, path):
    """The resource at `path` of a tiles directory, or of an HTTP prefix ('http://...')."""
    if tiles.startswith("http://"):
        status, headers, body = fetch(f"{tiles}/{path}")
        if status == 404:
            raise Invalid(f"{path} is missing (404)")
        if status != 200:
            raise Invalid(f"{path}: HTTP {status}")
        # c2sp.org/tlog-tiles: the checkpoint as text/plain; charset=utf-8, not cached
        # beyond a few seconds; tiles application/octet-stream, immutable, long-lived.
        if path == "checkpoint":
            check(headers.get("Content-Type") == "text/plain; charset=utf-8",
                  f"{path}: Content-Type {headers.get('Content-Type')}")
            check("no-cache" in headers.get("Cache-Control", "") or
                  "no-store" in headers.get("Cache-Control", ""),
                  f"{path}: Cache-Control {headers.get('Cache-Control')}")
        else:
            check(headers.get("Content-Type") == "application/octet-stream",
                  f"{path}: Content-Type {headers.get('Content-Type')}")
            check("immutable" in headers.get("Cache-Control", ""),
                  f"{path}: Cache-Control {headers.get('Cache-Control')}")
        check(headers.get("Content-Length") == str(len(body)), f"{path}: Content-Length")
        return body
    try:
        with open(os.path.join(tiles, path), "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise Invalid(f"{path} is missing")


def verify_tiles(tiles, verifier_line, workdir):
    """Everything a client can check: returns (size, root, entries)."""
    origin, size, root = open_checkpoint(read(tiles, "checkpoint").decode("utf-8"), verifier_line,
                                         workdir)
    if origin != verifier_line.split("+")[0]:
        raise Invalid(f"checkpoint origin {origin}")
    entries = []
    for level, n, width in tiles_of(size):
        if level == 0:
            bundle = parse_bundle(read(tiles, tile_path("entries", n, width)), tile_path("entries", n, width))
            if len(bundle) != width:
                raise Invalid(f"{tile_path('entries', n, width)}: {len(bundle)} entries, not {width}")
            entries += bundle
    if len(entries) != size:
        raise Invalid(f"{len(entries)} entries for a tree of {size}")
    leaves = [leaf_hash(e) for e in entries]
    memo = {}
    for level, n, width in tiles_of(size):
        path = tile_path(level, n, width)
        data = read(tiles, path)
        if len(data) != 32 * width:
            raise Invalid(f"{path}: {len(data)} bytes")
        span = 256 ** level
        for i in range(width):
            # 'MTH(D[(n * 256 + i) * 256**l : (n * 256 + i + 1) * 256**l])'
            lo = (n * 256 + i) * span
            if data[32 * i:32 * i + 32] != mth(leaves, lo, lo + span, memo):
                raise Invalid(f"{path}: hash {i}")
    if mth(leaves, 0, size, memo) != root:
        raise Invalid("the root of the entries is not the checkpoint's")
    return size, root, entries


def files_under(tiles):
    """{relative path: inode} of every file."""
    out = {}
    for base, _, names in os.walk(tiles):
        for name in names:
            full = os.path.join(base, name)
            out[os.path.relpath(full, tiles)] = os.stat(full).st_ino
    return out


def expected_files(size):
    return {"checkpoint"} | {tile_path(l, n, w) for l, n, w in tiles_of(size)} | {
        tile_path("entries", n, w) for l, n, w in tiles_of(size) if l == 0}


def import_solutions(led, key, first, count):
    lines = [json.dumps({
        "id": f"sol-{i}", "type": "solution.referenced", "at": "2023-02-01",
        "data": {"solution": {"vendor": f"Editeur {i % 7}", "product": "DUI", "version": f"{i}.0"},
                 "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}})
        for i in range(first, first + count)]
    run("import", "-", "--key", key, "--ledger", led, stdin="\n".join(lines) + "\n")


class Server:
    """esms_http_serve over a ledger, on 127.0.0.1 and a port the system picks."""

    def __init__(self, ledger):
        self.proc = subprocess.Popen([HTTP_SERVER, ledger, "127.0.0.1:0"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            sys.exit(f"esms_http_serve did not start: {line!r}")
        self.url = "http://" + line[len("listening on "):]

    def stop(self):
        self.proc.stdin.close()  # its standard input closing stops it
        try:
            check(self.proc.wait(timeout=20) == 0, "esms_http_serve exits 0 when stopped")
        except subprocess.TimeoutExpired:
            self.proc.kill()
            check(False, "esms_http_serve did not stop within 20 s")


def verify_served(url, tiles_dir, size, verifier_line, d):
    """The served tree of `size` checks, and each served file is the exported one."""
    try:
        got_size, root, entries = verify_tiles(url, verifier_line, d)
        check(got_size == size, f"served checkpoint of size {got_size}, not {size}")
        log = json.loads(run("log", "--json", "--ledger", os.path.join(d, "ledger.db")))["records"]
        check([leaf_hash(e).hex() for e in entries] == [r["leafHash"] for r in log[:size]],
              "the served entries are the ledger's records (leaf hashes of `log`)")
    except Invalid as e:
        check(False, f"served tree of {size}: {e}")
        return
    for path in sorted(expected_files(size) - {"checkpoint"}):
        try:
            same = read(url, path) == read(tiles_dir, path)
        except Invalid as e:
            same = False
            print(e)
        check(same, f"{path}: served bytes differ from the exported file")


def main_http():
    with tempfile.TemporaryDirectory() as d:
        led, tiles = os.path.join(d, "ledger.db"), os.path.join(d, "tiles")
        admin, dgos = os.path.join(d, "admin.pem"), os.path.join(d, "dgos.pem")
        run("key", "new", "admin", "--out", admin)
        pub = json.loads(run("key", "new", "dgos", "--out", dgos, "--json"))["publicKey"]
        run("init", "--origin", ORIGIN, "--admin-key", admin, "--ledger", led)
        enrol = {"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02",
                 "data": {"name": "dgos", "publicKey": pub, "roles": ["national"], "regions": []}}
        run("import", "-", "--key", admin, "--ledger", led, stdin=json.dumps(enrol) + "\n")
        import_solutions(led, dgos, 0, 600)
        with open(os.path.join(led, "ledger.pub")) as f:
            verifier_line = f.read().strip()

        old_tiles = os.path.join(d, "tiles-602")
        run("export-tiles", "--to", old_tiles, "--ledger", led)
        server = Server(led)
        try:
            verify_served(server.url, old_tiles, 602, verifier_line, d)
            # Beyond the tree: 404, not cached (it will exist later).
            status, headers, _ = fetch(f"{server.url}/tile/entries/002")
            check(status == 404 and "no-cache" in headers.get("Cache-Control", ""),
                  f"a bundle beyond the tree: {status} {headers.get('Cache-Control')}")
        finally:
            server.stop()

        # The ledger grows (a server reading it read-only serves the tree it opened; a
        # restarted one the new tree).
        import_solutions(led, dgos, 600, 300)
        run("export-tiles", "--to", tiles, "--ledger", led)
        server = Server(led)
        try:
            verify_served(server.url, tiles, 902, verifier_line, d)
            # 'Logs MUST serve partial tiles corresponding to tree sizes for which a
            # checkpoint was produced': the 602 tree's partial tiles are still served.
            for path in sorted(p for p in expected_files(602) if ".p/" in p):
                status, _, body = fetch(f"{server.url}/{path}")
                check(status == 200 and body == read(old_tiles, path),
                      f"{path} of the older tree: HTTP {status}")
        finally:
            server.stop()

    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 1 if checks["failed"] else 0


def main():
    if HTTP_SERVER:
        return main_http()
    with tempfile.TemporaryDirectory() as d:
        led, tiles = os.path.join(d, "ledger.db"), os.path.join(d, "tiles")
        admin, dgos = os.path.join(d, "admin.pem"), os.path.join(d, "dgos.pem")
        run("key", "new", "admin", "--out", admin)
        pub = json.loads(run("key", "new", "dgos", "--out", dgos, "--json"))["publicKey"]
        run("init", "--origin", ORIGIN, "--admin-key", admin, "--ledger", led)
        enrol = {"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02",
                 "data": {"name": "dgos", "publicKey": pub, "roles": ["national"], "regions": []}}
        run("import", "-", "--key", admin, "--ledger", led, stdin=json.dumps(enrol) + "\n")
        import_solutions(led, dgos, 0, 600)  # every commit keeps a checkpoint
        with open(os.path.join(led, "ledger.pub")) as f:
            verifier_line = f.read().strip()

        # First export: every tile of the tree of 602 records, and the checkpoint.
        first = json.loads(run("export-tiles", "--to", tiles, "--ledger", led, "--json"))
        check(first["size"] == 602, f"first export: size {first['size']}")
        before = files_under(tiles)
        check(set(before) == expected_files(602), f"first export: files {sorted(before)}")
        check(first["written"] == len(before) and first["kept"] == 0,
              f"first export: written {first['written']}, kept {first['kept']}")
        try:
            size, root, entries = verify_tiles(tiles, verifier_line, d)
            check(size == 602 and root.hex() == first["root"], "first export: size and root")
            log = json.loads(run("log", "--json", "--ledger", led))["records"]
            check([leaf_hash(e).hex() for e in entries] == [r["leafHash"] for r in log],
                  "first export: the entries are the ledger's records (leaf hashes of `log`)")
        except Invalid as e:
            check(False, f"first export: {e}")

        # Grow (its commit keeps a checkpoint), export again: only new and grown tiles are
        # written.
        import_solutions(led, dgos, 600, 300)
        second = json.loads(run("export-tiles", "--to", tiles, "--ledger", led, "--json"))
        check(second["size"] == 902, f"second export: size {second['size']}")
        after = files_under(tiles)
        new_tiles = expected_files(902)
        # The spec: a partial tile may be deleted once its full tile is there; the others
        # of a checkpoint produced (602) stay.
        replaced = {p for p in expected_files(602) - new_tiles
                    if p.split(".p/")[0] in new_tiles}
        check(set(after) == new_tiles | (expected_files(602) - replaced),
              f"second export: files {sorted(after)}")
        unchanged = {p for p in after if p in before and before[p] == after[p]}
        rewritten = {p for p in after if p not in unchanged}
        # Full tiles of 602 are immutable: never rewritten.
        full_before = {p for p in expected_files(602) if ".p/" not in p and p != "checkpoint"}
        check(full_before <= unchanged, f"second export: full tiles rewritten: {sorted(full_before - unchanged)}")
        check(rewritten == (new_tiles - expected_files(602)) | {"checkpoint"},
              f"second export: rewrote {sorted(rewritten)}")
        check(second["written"] == len(rewritten), f"second export: written {second['written']}")
        check(second["kept"] == len(new_tiles & unchanged), f"second export: kept {second['kept']}")
        check(second["removed"] == len(replaced), f"second export: removed {second['removed']}")
        try:
            size, root, _ = verify_tiles(tiles, verifier_line, d)
            check(size == 902 and root.hex() == second["root"], "second export: size and root")
            check(json.loads(run("verify", "--json", "--ledger", led))["root"] == root.hex(),
                  "second export: the ledger's own root")
        except Invalid as e:
            check(False, f"second export: {e}")

        # The project's own reader agrees, and both catch a flipped byte.
        ours = json.loads(run("verify-tiles", tiles, "--trust", os.path.join(led, "ledger.pub"), "--json"))
        check(ours["ok"] and ours["size"] == 902, "verify-tiles accepts the export")
        for path, offset in (("tile/0/001", 100), ("tile/entries/002", 50), ("tile/1/000.p/3", 40)):
            bad = os.path.join(d, "bad")
            shutil.rmtree(bad, ignore_errors=True)
            shutil.copytree(tiles, bad)
            with open(os.path.join(bad, path), "r+b") as f:
                f.seek(offset)
                byte = f.read(1)
                f.seek(offset)
                f.write(bytes([byte[0] ^ 1]))
            try:
                verify_tiles(bad, verifier_line, d)
                check(False, f"the independent verifier misses a flipped byte of {path}")
            except Invalid:
                check(True, "")
            err = json.loads(run("verify-tiles", bad, "--trust", os.path.join(led, "ledger.pub"),
                                 "--json", expect=1))["error"]
            check(err["code"] == "CORRUPTION" and path in err["message"],
                  f"verify-tiles names {path}: {err}")

    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
