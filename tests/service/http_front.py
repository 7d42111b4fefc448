#!/usr/bin/env python3
"""The HTTP front (service/http.h) as real clients see it, through real sockets.

A ledger is made with the program's own commands; esms_http_serve serves it read-only on
127.0.0.1 (a port the system picks) and on a unix socket. Python's urllib and raw sockets
then check: /metrics parsed by the Prometheus client library's own text parser
(python3-prometheus-client), /healthz, /checkpoint (the ledger's latest, not cached),
HEAD, gzipped entry bundles when the client accepts them, the refusals (405 with Allow, 404, 400 for a malformed tile path, a request with
headers far beyond any limit, garbage bytes), a client that sends nothing while others
are served, many clients at once, and a clean stop on SIGTERM.

Usage: http_front.py PATH/TO/esms-ledger PATH/TO/esms_http_serve
Prints 'N passed, 0 failed' and exits 0 when everything checks.
"""
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # Debian's package, when the interpreter is not Debian's own
    sys.path.append("/usr/lib/python3/dist-packages")
    from prometheus_client.parser import text_string_to_metric_families

BIN, SERVE = sys.argv[1], sys.argv[2]
checks = {"passed": 0, "failed": 0}


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAILED: {what}")


def run(*args, stdin=None):
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"esms-ledger {' '.join(args)} exited {proc.returncode}: {proc.stdout}{proc.stderr}")
    return proc.stdout


def fetch(url, method="GET"):
    """(status, headers, body)."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw(address, data, family=socket.AF_INET, timeout=15):
    """Sends `data` on a new connection, returns all it reads until the server closes."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(address)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return out


def status_of(response):
    """The status code of a raw HTTP response, or None."""
    first = response.split(b"\r\n", 1)[0].split(b" ")
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def start(ledger, address):
    proc = subprocess.Popen([SERVE, ledger, address], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        sys.exit(f"esms_http_serve did not start: {line!r}")
    return proc, line[len("listening on "):]


def main():
    with tempfile.TemporaryDirectory() as d:
        led = os.path.join(d, "ledger.db")
        admin, dgos = os.path.join(d, "admin.pem"), os.path.join(d, "dgos.pem")
        run("key", "new", "admin", "--out", admin)
        pub = json.loads(run("key", "new", "dgos", "--out", dgos, "--json"))["publicKey"]
        run("init", "--origin", "http-front.example/esms", "--admin-key", admin, "--ledger", led)
        enrol = {"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02",
                 "data": {"name": "dgos", "publicKey": pub, "roles": ["national"], "regions": []}}
        run("import", "-", "--key", admin, "--ledger", led, stdin=json.dumps(enrol) + "\n")
        lines = [json.dumps({
            "id": f"sol-{i}", "type": "solution.referenced", "at": "2023-02-01",
            "data": {"solution": {"vendor": f"Editeur {i % 7}", "product": "DUI", "version": f"{i}.0"},
                     "corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}})
            for i in range(300)]
        run("import", "-", "--key", dgos, "--ledger", led, stdin="\n".join(lines) + "\n")
        size = 302
        latest = run("checkpoint", "--ledger", led)

        proc, address = start(led, "127.0.0.1:0")
        host, port = address.rsplit(":", 1)
        base = f"http://{address}"
        try:
            # /metrics: the Prometheus text format, read by Prometheus' own parser.
            status, headers, body = fetch(f"{base}/metrics")
            check(status == 200, f"/metrics: {status}")
            check(headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
                  f"/metrics Content-Type {headers.get('Content-Type')}")
            families = {f.name: f for f in text_string_to_metric_families(body.decode())}
            for name, kind in (("esms_appends", "counter"), ("esms_refusals", "counter"),
                               ("esms_commit_latency_seconds", "histogram"),
                               ("esms_queue_depth", "gauge"), ("esms_ledger_size", "gauge"),
                               ("esms_checkpoint_age_seconds", "gauge"),
                               ("esms_http_requests", "counter")):
                check(name in families and families[name].type == kind,
                      f"/metrics: family {name} of type {kind}: {sorted(families)}")
            samples = {s.name: s.value for f in families.values() for s in f.samples if not s.labels}
            check(samples.get("esms_ledger_size") == size, f"esms_ledger_size {samples.get('esms_ledger_size')}")
            check(0 <= samples.get("esms_checkpoint_age_seconds", -1) < 3600,
                  f"esms_checkpoint_age_seconds {samples.get('esms_checkpoint_age_seconds')}")
            buckets = [s for s in families["esms_commit_latency_seconds"].samples
                       if s.name.endswith("_bucket")]
            check(buckets and buckets[-1].labels["le"] == "+Inf", "the histogram ends with +Inf")

            # /healthz and /checkpoint.
            status, _, body = fetch(f"{base}/healthz")
            check(status == 200 and body == b"ok\n", f"/healthz: {status} {body!r}")
            status, headers, body = fetch(f"{base}/checkpoint")
            check(status == 200 and body.decode() == latest, f"/checkpoint: {status} {body!r}")
            check(headers.get("Cache-Control") == "no-cache", f"/checkpoint Cache-Control")
            status, _, body = fetch(f"{base}/checkpoint?after=1")
            check(status == 200 and body.decode() == latest, "a query string is ignored")
            status, headers, body = fetch(f"{base}/checkpoint", method="HEAD")
            check(status == 200 and body == b"" and headers.get("Content-Length") == str(len(latest.encode())),
                  f"HEAD /checkpoint: {status} {headers.get('Content-Length')} {body!r}")
            status, headers, body = fetch(f"{base}/tile/0/000")
            check(status == 200 and len(body) == 8192, f"/tile/0/000: {status} {len(body)}")
            check(headers.get("Cache-Control") == "public, max-age=31536000, immutable",
                  f"a full tile's Cache-Control: {headers.get('Cache-Control')}")

            # "Entry bundles SHOULD be compressed at the HTTP layer": gzip when accepted.
            plain = fetch(f"{base}/tile/entries/000")[2]
            request = urllib.request.Request(f"{base}/tile/entries/000",
                                             headers={"Accept-Encoding": "gzip, identity"})
            with urllib.request.urlopen(request, timeout=30) as response:
                zipped = response.read()
                check(response.headers.get("Content-Encoding") == "gzip" and
                      gzip.decompress(zipped) == plain and len(zipped) < len(plain),
                      f"a gzipped bundle: {response.headers.get('Content-Encoding')} {len(zipped)} "
                      f"of {len(plain)}")
                check(response.headers.get("Vary") == "Accept-Encoding", "Vary: Accept-Encoding")
            for accept in ("gzip;q=0", "br", ""):
                request = urllib.request.Request(f"{base}/tile/entries/000",
                                                 headers={"Accept-Encoding": accept})
                with urllib.request.urlopen(request, timeout=30) as response:
                    check(response.headers.get("Content-Encoding") is None and response.read() == plain,
                          f"Accept-Encoding {accept!r}: {response.headers.get('Content-Encoding')}")
            request = urllib.request.Request(f"{base}/tile/0/000", headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request, timeout=30) as response:
                check(response.headers.get("Content-Encoding") is None, "hash tiles are not gzipped")

            # Refusals.
            status, headers, _ = fetch(f"{base}/checkpoint", method="POST")
            check(status == 405 and headers.get("Allow") == "GET, HEAD", f"POST: {status} {headers.get('Allow')}")
            status, _, _ = fetch(f"{base}/checkpoint", method="DELETE")
            check(status == 405, f"DELETE: {status}")
            for path, want in (("/nothing", 404), ("/", 404), ("/tile/0/0001", 400),
                               ("/tile/entries/x001", 400), ("/tile/00/000", 400),
                               ("/tile/0/000.p/0", 400), ("/tile/0/001.p/300", 400),
                               ("/tile/9/000", 404), ("/tile/2/000.p/1", 404),
                               ("/tile/0/x018/x446/x744/x073/x709/x551/615", 404),
                               ("/tile/0/001.p/46", 200), ("/tile/0/001.p/45", 200),
                               ("/tile/0/001.p/47", 404), ("/tile/entries/001.p/46", 200),
                               ("/tile/0/001.p/47/", 400), ("/tile/../checkpoint", 400)):
                status, _, body = fetch(base + path)
                check(status == want, f"GET {path}: {status}, not {want}: {body[:100]!r}")

            # A request far beyond any header limit, and garbage: a 4xx (or a close),
            # never a crash; the server answers the next client.
            huge = b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
            answer = raw((host, int(port)), huge)
            check(answer == b"" or 400 <= (status_of(answer) or 0) < 500,
                  f"huge headers: {answer[:80]!r}")
            answer = raw((host, int(port)), b"\x00\x01\x02 not http at all\r\n\r\n")
            check(answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), f"garbage: {answer[:80]!r}")
            answer = raw((host, int(port)), b"GET /" + b"x" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            check(answer == b"" or 400 <= (status_of(answer) or 0) < 500, f"huge URL: {answer[:80]!r}")
            status, _, _ = fetch(f"{base}/healthz")
            check(status == 200, "the server answers after bad requests")

            # A client that connects and sends nothing does not hold the others up.
            idle = socket.create_connection((host, int(port)))
            started = time.monotonic()
            status, _, _ = fetch(f"{base}/healthz")
            check(status == 200 and time.monotonic() - started < 5, "served beside an idle client")

            # Many clients at once.
            failures = []

            def client(n):
                for i in range(10):
                    s, _, b = fetch(f"{base}/tile/entries/{'000' if (n + i) % 2 else '001.p/46'}")
                    if s != 200 or not b:
                        failures.append((n, i, s))

            threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            check(not failures, f"32 clients x 10 bundles: failures {failures[:5]}")
            idle.close()

            # The responses were counted.
            _, _, body = fetch(f"{base}/metrics")
            counted = {s.labels.get("code"): s.value for f in text_string_to_metric_families(body.decode())
                       if f.name == "esms_http_requests" for s in f.samples if s.name.endswith("_total")}
            check(counted.get("405", 0) >= 2 and counted.get("404", 0) >= 5 and counted.get("200", 0) >= 320,
                  f"esms_http_requests_total: {counted}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                check(proc.wait(timeout=20) == 0, "esms_http_serve exits 0 on SIGTERM")
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, "esms_http_serve did not stop within 20 s of SIGTERM")

        # On a unix socket.
        sock = os.path.join(d, "http.sock")
        proc, address = start(led, f"unix:{sock}")
        try:
            check(address == f"unix:{sock}", f"unix address {address}")
            answer = raw(sock, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                         family=socket.AF_UNIX)
            check(status_of(answer) == 200 and answer.endswith(b"\r\n\r\nok\n"), f"unix /healthz: {answer!r}")
        finally:
            proc.stdin.close()
            check(proc.wait(timeout=20) == 0, "esms_http_serve exits 0 when its input closes")

        # Refused addresses: not an address (2), in use (4).
        bad = subprocess.run([SERVE, led, "not an address"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=30)
        check(bad.returncode == 2, f"a bad address: exit {bad.returncode} {bad.stderr}")
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = subprocess.run([SERVE, led, f"127.0.0.1:{taken.getsockname()[1]}"], capture_output=True,
                                  text=True, stdin=subprocess.DEVNULL, timeout=30)
            check(busy.returncode == 4, f"an address in use: exit {busy.returncode} {busy.stderr}")

    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
