#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check a Zeek conn.log (TSV) by Zeek's own header rules, and its JSON twin.

zeeklog_check.py CONN.LOG [CONN.JSON] [CONN.LOG CONN.JSON ...]: the header lines in Zeek's order
(#separator, #set_separator, #empty_field, #unset_field, #path, #open,
#fields, #types), as many #types as #fields, every row with exactly that
many fields, each value of its declared type (or the unset/empty marker
where Zeek allows it), then #close. With CONN.JSON (Zeek's JSON log of
the same run), every object must hold the same values, with unset fields
left out. Prints "ROWS rows" for each log and exits 0, or says what is
wrong, exit 1.
"""
import ipaddress
import json
import re
import sys

HEAD = ["#separator", "#set_separator", "#empty_field", "#unset_field",
        "#path", "#open", "#fields", "#types"]
STAMP = re.compile(r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d")
SECS6 = re.compile(r"\d+\.\d{6}")


def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def unescape(v):
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), v)


def typed(kind, v, where, set_sep):
    """The value of one TSV field of Zeek type kind, as JSON would hold it."""
    if kind in ("time", "interval"):
        if not SECS6.fullmatch(v):
            die(f"{where}: {kind} {v!r} is not seconds with 6 decimals")
        return float(v)
    if kind in ("count", "port"):
        if not re.fullmatch(r"\d+", v):
            die(f"{where}: {kind} {v!r} is not a whole number")
        if kind == "port" and int(v) > 65535:
            die(f"{where}: port {v} out of range")
        return int(v)
    if kind == "addr":
        try:
            ipaddress.ip_address(v)
        except ValueError:
            die(f"{where}: {v!r} is not an address")
        return v
    if kind == "bool":
        if v not in ("T", "F"):
            die(f"{where}: bool {v!r}")
        return v == "T"
    if kind in ("string", "enum"):
        if "\t" in v or "\n" in v:
            die(f"{where}: unescaped separator in {v!r}")
        return v
    if kind.startswith("set[") or kind.startswith("vector["):
        return v.split(set_sep)
    die(f"{where}: unknown type {kind}")


def main():
    args = sys.argv[1:]
    if not args or (len(args) > 2 and len(args) % 2):
        print(__doc__)
        return 2
    for i in range(0, len(args), 2):
        check(args[i], args[i + 1] if i + 1 < len(args) else None)
    return 0


def check(log, twin):
    def die(msg):
        print(f"FAIL: {log}: {msg}")
        sys.exit(1)

    lines = open(log, encoding="utf-8").read().split("\n")
    if lines[-1] != "":
        die("the log does not end with a newline")
    lines.pop()
    if len(lines) < len(HEAD) + 1:
        die(f"only {len(lines)} lines")
    m = re.fullmatch(r"#separator (\\x[0-9a-f]{2}|.)", lines[0])
    if not m or unescape(m[1]) != "\t":
        die(f"first line {lines[0]!r}, expected '#separator \\x09'")
    sep = "\t"
    meta = {}
    for i, tag in enumerate(HEAD[1:], 1):
        parts = lines[i].split(sep)
        if parts[0] != tag:
            die(f"line {i + 1}: {parts[0]!r}, expected {tag!r}")
        meta[tag] = parts[1:]
    if meta["#set_separator"] != [","] or \
            meta["#empty_field"] != ["(empty)"] or \
            meta["#unset_field"] != ["-"] or meta["#path"] != ["conn"]:
        die(f"header values {meta}")
    if len(meta["#open"]) != 1 or not STAMP.fullmatch(meta["#open"][0]):
        die(f"#open {meta['#open']}")
    fields, types = meta["#fields"], meta["#types"]
    if len(fields) != len(types) or len(set(fields)) != len(fields):
        die(f"{len(fields)} #fields, {len(types)} #types")
    close = lines[-1].split(sep)
    if close[0] != "#close" or len(close) != 2 or \
            not STAMP.fullmatch(close[1]):
        die(f"last line {lines[-1]!r}, expected #close and a time")
    set_sep, unset, empty = ",", "-", "(empty)"
    rows = []
    for n, line in enumerate(lines[len(HEAD):-1], len(HEAD) + 1):
        if line.startswith("#"):
            die(f"line {n}: a header line among the rows")
        vals = line.split(sep)
        if len(vals) != len(fields):
            die(f"line {n}: {len(vals)} fields, #fields has {len(fields)}")
        row = {}
        for f, t, v in zip(fields, types, vals):
            where = f"line {n} {f}"
            if v == unset:
                continue
            if v == empty:
                row[f] = [] if t.startswith(("set[", "vector[")) else ""
                continue
            row[f] = typed(t, v, where, set_sep)
        rows.append(row)
    if twin is not None:
        objs = [json.loads(l) for l in open(twin, encoding="utf-8")]
        if len(objs) != len(rows):
            die(f"{len(objs)} JSON objects, {len(rows)} TSV rows")
        for n, (o, row) in enumerate(zip(objs, rows), 1):
            if list(o) != [f for f in fields if f in o]:
                die(f"JSON object {n}: keys out of #fields order: {list(o)}")
            if o != row:
                diff = {k: (o.get(k), row.get(k))
                        for k in set(o) | set(row) if o.get(k) != row.get(k)}
                die(f"JSON object {n} differs from TSV row: {diff}")
    print(f"{log}: {len(rows)} rows")


if __name__ == "__main__":
    sys.exit(main())
