# SPDX-License-Identifier: BSD-2-Clause
"""Checks finrst's pictures: the --html report (its packed blocks unpacked)
against its --json output, the --svg files, and that a browser's
screenshot of the report is not blank. Standard library only.

usage: finrst_pictures.py report HTML JSONL SVGDIR [all]
       finrst_pictures.py reports LIST   (lines of: HTML JSONL SVGDIR [all])
       finrst_pictures.py png PNG MIN_COLOURS MIN_INK_PERCENT [RGB:PCT...]
       finrst_pictures.py browse CHROMIUM PROFILE URL JS
(RGB:PCT: colour RGB, in hex, covers at least PCT percent of the pixels)
Prints one line per problem and exits 1 when there is any; browse prints
what JS (an expression, awaited if a promise) gives once URL has loaded in
headless Chromium (DevTools protocol over --remote-debugging-pipe), which,
unlike --dump-dom, waits in real time for what the page does after load.
"""
import base64
import json
import os
import re
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser

SVG_NS = "{http://www.w3.org/2000/svg}"
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base",
        "wbr", "source", "track", "embed", "param"}


class Balance(HTMLParser):
    """HTML's own view: every non-void element closed, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("unbalanced </%s> (open: %s)" %
                                 (tag, self.stack[-3:]))
            return
        self.stack.pop()


def classes(el):
    return (el.get("class") or "").split()


def well_formed(text, problems):
    """Well-formed as HTML; the first problems go to problems."""
    bal = Balance()
    bal.feed(text)
    bal.close()
    problems += bal.problems
    if bal.stack:
        problems.append("elements left open: %s" % bal.stack)


def unpack(root, problems):
    """Replace each packed block (a div of class z holding a script of
    class z: deflated, base64'd markup) by what it holds, checked as
    markup of its own; returns the unpacked texts."""
    texts = []
    for div in list(root.iter("div")):
        if "z" not in classes(div):
            continue
        scripts = [e for e in div if e.tag == "script" and
                   "z" in classes(e)]
        if len(div) != 1 or len(scripts) != 1:
            problems.append("packed block holds %d elements" % len(div))
            continue
        try:
            text = zlib.decompress(base64.b64decode(
                scripts[0].text or "", validate=True)).decode("utf-8")
        except (ValueError, zlib.error) as e:
            problems.append("packed block does not unpack: %s" % e)
            continue
        texts.append(text)
        well_formed(text, problems)
        try:
            inner = ET.fromstring("<div>" + text + "</div>")
        except ET.ParseError as e:
            problems.append("packed block not well-formed: %s" % e)
            continue
        div.remove(scripts[0])
        div.extend(list(inner))
        div.set("class", " ".join(c for c in classes(div) if c != "z"))
        if "pics" in classes(div):
            ids = " ".join(s.get("id", "")[1:] for s in div)
            if div.get("data-ids") != ids:
                problems.append("packed block's data-ids %.40r..., holds "
                                "%.40r..." % (div.get("data-ids"), ids))
    return texts


def check_report(html_path, jsonl_path, svg_dir, everything):
    problems = []
    conns, summary = [], None
    with open(jsonl_path) as f:
        for line in f:
            o = json.loads(line)
            if o.get("type") == "connection":
                conns.append(o)
            elif o.get("type") == "summary":
                summary = o
    want = {c["id"] for c in conns if everything or c["teardown"] != "fin"}
    with open(html_path, encoding="utf-8") as f:
        text = f.read()

    # well-formed twice over: as HTML, and strictly as XML; so are the
    # packed blocks' contents, which then stand in their place
    well_formed(text, problems)
    try:
        root = ET.fromstring(text.split("\n", 1)[1])
    except ET.ParseError as e:
        return problems + ["not well-formed: %s" % e]
    texts = unpack(root, problems)

    # self-contained: nothing to fetch
    for el in root.iter():
        for k, v in el.attrib.items():
            if k in ("src", "srcset", "data", "action") or \
                    (k.endswith("href") and not v.startswith("#")):
                problems.append("external reference %s=%r" % (k, v))
        if el.tag in ("link", "iframe", "img", "object", "embed") or \
                (el.tag == "script" and el.get("src")):
            problems.append("fetching element <%s>" % el.tag)
    for pat in (r"https?:", r"url\(", r"@import", r"//[a-z0-9.-]+\.[a-z]"):
        for t in [text] + texts:
            if re.search(pat, t, re.I):
                problems.append("fetch-like text /%s/" % pat)
                break

    # one diagram per pictured connection, and one row per connection
    pics = [s for s in root.iter("section") if "pic" in classes(s)]
    got = set()
    for s in pics:
        svgs = [e for e in s.iter("svg") if "seq" in classes(e)]
        if len(svgs) != 1:
            problems.append("section %s holds %d diagrams" %
                            (s.get("id"), len(svgs)))
        got.add(int(s.get("id", "c0")[1:]))
    if len(pics) != len(want) or got != want:
        problems.append("%d diagrams for %d pictured connections "
                        "(missing %s, extra %s)" %
                        (len(pics), len(want), sorted(want - got)[:5],
                         sorted(got - want)[:5]))
    rows = root.findall(".//div[@id='conns']/div[@class='rows']/table/"
                        "tbody/tr")
    if len(rows) != len(conns):
        problems.append("%d table rows for %d connections" %
                        (len(rows), len(conns)))
    for tr, c in zip(rows, conns):
        cells = ["".join(td.itertext()) for td in tr.findall("td")]
        if cells[0] != str(c["id"]) or cells[7] != c["teardown"]:
            problems.append("row %s: %s/%s, JSON says %s/%s" %
                            (c["id"], cells[0], cells[7], c["id"],
                             c["teardown"]))
            break
    # the chart's counts are the summary's
    if summary is not None:
        chart = [e for e in root.iter("svg") if "chart" in classes(e)]
        texts = ["".join(t.itertext()) for t in chart[0].iter("text")] \
            if chart else []
        for cls, n in summary["teardown"].items():
            i = texts.index(cls) if cls in texts else -1
            if i < 0 or not texts[i + 1].startswith("%d (" % n):
                problems.append("chart: %s should be %d" % (cls, n))

    # the same diagrams as files
    if svg_dir:
        names = sorted(os.listdir(svg_dir))
        want_names = ["conn-%06d.svg" % i for i in sorted(want)]
        if names != want_names:
            problems.append("%s holds %d files, expected %d" %
                            (svg_dir, len(names), len(want_names)))
        for n in names:
            try:
                r = ET.parse(os.path.join(svg_dir, n)).getroot()
            except ET.ParseError as e:
                problems.append("%s: not well-formed: %s" % (n, e))
                continue
            if r.tag != SVG_NS + "svg":
                problems.append("%s: root is %s" % (n, r.tag))
    return problems


def add_bytes(x, y, n):
    """Bytewise x + y mod 256 over n-byte strings, without a loop over
    the bytes: the 7 low bits of each byte add without carry, the top
    bit by xor."""
    lo = int.from_bytes(b"\x7f" * n, "big")
    hi = int.from_bytes(b"\x80" * n, "big")
    a, b = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    return (((a & lo) + (b & lo)) ^ ((a ^ b) & hi)).to_bytes(n, "big")


def png_rows(path):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes): width, height,
    bytes per pixel and the rows."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("PNG kind %s not handled" % (hdr,))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytes(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 2:
            line = add_bytes(line, prev, stride)
        elif f != 0:
            line = bytearray(line)
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                if f == 1:
                    line[i] = (line[i] + a) & 255
                    continue
                b = prev[i]
                if f == 3:
                    line[i] = (line[i] + (a + b) // 2) & 255
                    continue
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
            line = bytes(line)
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def check_png(path, min_colours, min_ink, needs):
    w, h, bpp, rows = png_rows(path)
    colours, white = set(), 0
    want = {bytes.fromhex(n.split(":")[0]): float(n.split(":")[1])
            for n in needs}
    seen = dict.fromkeys(want, 0)
    for y, line in enumerate(rows):
        r, g, b = line[0::bpp], line[1::bpp], line[2::bpp]
        both = (int.from_bytes(r, "big") & int.from_bytes(g, "big") &
                int.from_bytes(b, "big")).to_bytes(w, "big")
        white += both.count(255)
        if y % 4 == 0:
            px = list(zip(r, g, b))
            colours.update(px)
            for c in want:
                seen[c] += 4 * px.count(tuple(c))
    pct = 100.0 * (w * h - white) / (w * h)
    print("%s: %dx%d, %d colours, %.1f%% not white" %
          (path, w, h, len(colours), pct))
    problems = []
    if len(colours) < min_colours:
        problems.append("only %d colours (want >= %d)" %
                        (len(colours), min_colours))
    if pct < min_ink:
        problems.append("only %.1f%% of pixels drawn (want >= %s%%)" %
                        (pct, min_ink))
    for c, share in want.items():
        got = 100.0 * seen[c] / (w * h)
        if got < share:
            problems.append("colour #%s on %.2f%% of pixels (want >= "
                            "%s%%)" % (c.hex(), got, share))
    return problems


def browse(chromium, profile, url, js, timeout=240):
    """Load url in headless Chromium, evaluate js, return its value."""
    cmd_r, cmd_w = os.pipe()    # Chromium reads commands on fd 3
    ans_r, ans_w = os.pipe()    # and answers on fd 4

    def fds():
        os.dup2(cmd_r, 3)
        os.dup2(ans_w, 4)
        os.set_inheritable(3, True)     # dup2 onto itself keeps CLOEXEC
        os.set_inheritable(4, True)

    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--user-data-dir=" + profile, "--hide-scrollbars",
         "--window-size=1200,2000", "--remote-debugging-pipe",
         "about:blank"], preexec_fn=fds, close_fds=False,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(cmd_r)
    os.close(ans_w)
    out, pending, seq = os.fdopen(cmd_w, "wb"), b"", [0]
    deadline = time.monotonic() + timeout

    def read():
        nonlocal pending
        while b"\0" not in pending:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(ans_r, 65536)
            if not chunk:
                raise EOFError("Chromium went away")
            pending += chunk
        msg, pending = pending.split(b"\0", 1)
        return json.loads(msg)

    def call(method, params=None, session=None, until=None):
        seq[0] += 1
        m = {"id": seq[0], "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        out.write(json.dumps(m).encode() + b"\0")
        out.flush()
        got, ev = None, until is None
        while got is None or not ev:
            a = read()
            if a.get("id") == seq[0]:
                if "error" in a:
                    raise RuntimeError("%s: %s" % (method, a["error"]))
                got = a["result"]
            elif until is not None and a.get("method") == until:
                ev = True
        return got

    try:
        page = [t for t in call("Target.getTargets")["targetInfos"]
                if t["type"] == "page"][0]
        sid = call("Target.attachToTarget", {"targetId": page["targetId"],
                                             "flatten": True})["sessionId"]
        call("Page.enable", session=sid)
        call("Page.navigate", {"url": url}, session=sid,
             until="Page.loadEventFired")
        r = call("Runtime.evaluate", {"expression": js,
                                      "awaitPromise": True,
                                      "returnByValue": True}, session=sid)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"].get("text", "error"))
        return r["result"].get("value")
    finally:
        proc.kill()
        proc.wait()
        out.close()
        os.close(ans_r)


def main(argv):
    if len(argv) >= 4 and argv[1] == "report":
        problems = check_report(argv[2], argv[3],
                                argv[4] if len(argv) > 4 else "",
                                len(argv) > 5 and argv[5] == "all")
    elif len(argv) == 3 and argv[1] == "reports":
        problems = []
        with open(argv[2]) as f:
            for line in f:
                a = line.split() + [""]
                problems += ["%s: %s" % (a[0], p) for p in
                             check_report(a[0], a[1], a[2], "all" in a[3:])]
    elif len(argv) == 6 and argv[1] == "browse":
        print(browse(argv[2], argv[3], argv[4], argv[5]))
        return 0
    elif len(argv) >= 5 and argv[1] == "png":
        problems = check_png(argv[2], int(argv[3]), float(argv[4]),
                             argv[5:])
    else:
        sys.stderr.write(__doc__)
        return 2
    for p in problems:
        print("%s: %s" % (argv[2], p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
