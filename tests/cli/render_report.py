#!/usr/bin/env python3
"""Renders the HTML active-DUI report in a real browser (headless Chromium) and checks
that the page is not blank and that the trajectory chart was drawn.

Usage: render_report.py ESMS_LEDGER_BIN ARTIFACT_DIR

Builds a small demo ledger with the CLI, writes `report active-dui --format html`,
screenshots it with Debian's `chromium` and checks the PNG with the standard library
only (zlib-decoded IDAT): enough distinct colours and non-white pixels, and pixels of
the chart's line colour (#1f6feb), of the target line (#d1242f) and of the region bars
(#2da44e). The PNG and the HTML are kept in ARTIFACT_DIR (report.png, report.html).
Exits 1 with a clear message on any failure, including a missing chromium.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

LINE = (0x1F, 0x6F, 0xEB)
TARGET = (0xD1, 0x24, 0x2F)
BAR = (0x2D, 0xA4, 0x4E)


def fail(message):
    print("render_report: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(args, **kw):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       stdin=subprocess.DEVNULL, **kw)
    if r.returncode != 0:
        fail("%s exited %d\nstdout: %s\nstderr: %s" % (" ".join(args), r.returncode,
                                                        r.stdout[-2000:], r.stderr[-2000:]))
    return r


def decode_png(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG file")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        fail("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        fail("unexpected PNG format: depth %d colour type %d interlace %d" %
             (depth, colour, interlace))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
            elif kind != 0:
                fail("bad PNG filter type %d" % kind)
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def near(pixel, colour, tolerance=10):
    return all(abs(p - c) <= tolerance for p, c in zip(pixel, colour))


def main():
    if len(sys.argv) != 3:
        fail("usage: render_report.py ESMS_LEDGER_BIN ARTIFACT_DIR")
    binary, artifacts = sys.argv[1], sys.argv[2]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        fail("chromium is not installed: this test renders the HTML report in a real browser "
             "(Debian package `chromium`, installed by .ci/install-deps)")
    os.makedirs(artifacts, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="esms-render-") as tmp:
        demo = os.path.join(tmp, "demo")
        run([binary, "demo", "--dir", demo, "--establishments", "200", "--seed", "5", "--json"])
        html = os.path.join(tmp, "report.html")
        run([binary, "report", "active-dui", "--at", "2024-12-31", "--format", "html",
             "--out", html, "--ledger", os.path.join(demo, "ledger")])
        text = open(html, encoding="utf-8").read()
        if "http" in text:
            fail("the page names a URL: it must be self-contained")
        png = os.path.join(tmp, "report.png")
        profile = os.path.join(tmp, "profile")
        run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile, "--window-size=1280,2000",
             "--screenshot=" + png, "file://" + html], timeout=180)
        if not os.path.exists(png):
            fail("chromium wrote no screenshot")
        shutil.copyfile(png, os.path.join(artifacts, "report.png"))
        shutil.copyfile(html, os.path.join(artifacts, "report.html"))
        data = open(png, "rb").read()

    width, height, rows = decode_png(data)
    if (width, height) != (1280, 2000):
        fail("screenshot is %dx%d, expected 1280x2000" % (width, height))
    colours, non_white, line, target, bar = set(), 0, 0, 0, 0
    for row in rows:
        for pixel in row:
            colours.add(pixel)
            if pixel != (255, 255, 255):
                non_white += 1
            if near(pixel, LINE):
                line += 1
            elif near(pixel, TARGET):
                target += 1
            elif near(pixel, BAR):
                bar += 1
    total = width * height
    print("render_report: %dx%d, %d colours, %d non-white pixels (%.1f%%), line %d, target %d, "
          "bars %d; artefact %s" % (width, height, len(colours), non_white,
                                    100.0 * non_white / total, line, target, bar,
                                    os.path.join(artifacts, "report.png")))
    if len(colours) < 16:
        fail("only %d distinct colours: the page looks blank" % len(colours))
    if non_white < total // 50:
        fail("only %d non-white pixels of %d: the page looks blank" % (non_white, total))
    if line < 500:
        fail("only %d pixels of the trajectory line colour #1f6feb: no chart drawn" % line)
    if target < 200:
        fail("only %d pixels of the target line colour #d1242f" % target)
    if bar < 1000:
        fail("only %d pixels of the region bar colour #2da44e" % bar)
    print("render_report: OK")


if __name__ == "__main__":
    main()
