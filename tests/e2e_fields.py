#!/usr/bin/env python3
"""e2e_fields.py - field= through HTTP and the CLI, against real tshark (issue 12).

The real server on a loopback port, the real tshark:
  - an upload of http.cap with field=tcp.analysis.ack_rtt (JSON): every value
    of `tshark -T fields -e frame.time_relative -e tcp.analysis.ack_rtt`, in
    order, seconds with 9 decimals, the series' "field", "packets" and
    "values"; the same as CSV (header time_relative,tcp.analysis.ack_rtt)
    and as SVG (the axis titled with the field);
  - the view of the kept capture: kind=io, field=tcp.len, y=sum|max|count at
    1 s, equal to what the per-frame values imply; two series with two fields;
  - bad input, each a 400 with a readable message and nothing kept or left
    behind: an unknown field (with close names), a field that is not a number
    (its type), y=bytes with a field, kind=hist with a field, a name with a
    bad character, more fields than filters;
  - a field that never occurs: a chart that says "no values of ...";
  - split=ip.src&top=2, split=tcp.srcport with a filter, split=http.host: the
    top values by bytes (ties: first seen) of `-T fields -E occurrence=f`, each
    value's bytes exact, every packet in exactly one series, and each series'
    display filter selecting exactly its packets; top=0, top=9, two filters,
    an unknown split field: 400;
  - GET /api/fields?q=tcp.analysis.ack_r: completion with types and classes,
    close names for a typo, 400 for a bad prefix;
  - `pcapchart chart FILE kind=io field=tcp.len y=max --format json` equals
    the server's answer for the same view.
"""
import csv
import io
import os
import subprocess
import sys
import traceback
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

HTTP = "dev/http.cap"


def values(path, field):
    """[(t as str, value as str)] of every occurrence, as tshark prints them."""
    p = subprocess.run([pcc.tshark_path(), "-n", "-r", path, "-T", "fields",
                        "-E", "occurrence=a", "-E", "aggregator=,",
                        "-e", "frame.time_relative", "-e", field],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=120, check=True)
    out = []
    for line in p.stdout.decode().splitlines():
        t, _, vs = line.partition("\t")
        for v in vs.split(","):
            if v:
                out.append((t, v))
    return out


def frames(path):
    p = subprocess.run([pcc.tshark_path(), "-n", "-r", path, "-T", "fields",
                        "-e", "frame.time_relative"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120,
                       check=True)
    return len(p.stdout.decode().splitlines())


def first_values(path, field, flt=None):
    """[(first value or '', frame.len)] of every packet tshark shows."""
    args = [pcc.tshark_path(), "-n", "-r", path]
    if flt:
        args += ["-Y", flt]
    p = subprocess.run(args + ["-T", "fields", "-E", "occurrence=f", "-e", field,
                               "-e", "frame.len"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120,
                       check=True)
    out = []
    for line in p.stdout.decode().splitlines():
        v, _, n = line.partition("\t")
        out.append((v, int(n)))
    return out


def count(path, flt):
    p = subprocess.run([pcc.tshark_path(), "-n", "-r", path, "-Y", flt, "-T", "fields",
                        "-e", "frame.number"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    return len(p.stdout.decode().split()) if p.returncode == 0 else None


def split_checks(R, srv, cid, path):
    port = srv.port
    for q, field, flt, top in (("split=ip.src&top=2", "ip.src", None, 2),
                               ("split=tcp.srcport&filter=tcp&top=3", "tcp.srcport", "tcp", 3),
                               ("split=http.host", "http.host", None, 5)):
        r = pcc.request(port, "GET", "/c/%s?%s&format=json" % (cid, q))
        if not R.check(r.status == 200, "%s -> 200" % q, r.brief()):
            continue
        doc = r.json()
        ss = doc["series"]
        frames = first_values(path, field, flt)
        tot = {}
        first = {}
        for i, (v, n) in enumerate(frames):
            if v:
                tot[v] = tot.get(v, 0) + n
                first.setdefault(v, i)
        want = sorted(tot, key=lambda v: (-tot[v], first[v]))[:top]
        got = [s["value"] for s in ss[:-1]]
        R.check(got == want and ss[-1]["name"] == "other" and ss[-1]["value"] is None,
                "%s: the top values by bytes, then other" % q, "got %r, want %r" % (got, want))
        ok = all(s["bytes"] == tot[s["value"]] for s in ss[:-1])
        ok = ok and sum(s["packets"] for s in ss) == len(frames) == doc["packets"]
        R.check(ok, "%s: each value's bytes exact; every packet in one series (%d)" %
                (q, len(frames)), pcc.one_line(str([(s["name"], s["packets"], s["bytes"])
                                                     for s in ss]), 300))
        bad_f = [(s["filter"], s["packets"], count(path, s["filter"])) for s in ss
                 if count(path, s["filter"]) != s["packets"]]
        R.check(not bad_f, "%s: each series' display filter selects its packets" % q,
                repr(bad_f))
    bad(R, srv, "split=ip.src&top=9", 400, ["top"], "top=9")
    bad(R, srv, "split=ip.src&top=0", 400, ["top"], "top=0")
    bad(R, srv, "split=ip.src&filter=tcp&filter=udp", 400, ["one filter"],
        "split with two filters")
    bad(R, srv, "split=ip.srcc", 400, ["ip.srcc", "ip.src"], "split of an unknown field")


def bad(R, srv, query, status, words, label):
    r = pcc.request(srv.port, "GET", "/c/%s?%s&format=json" % (srv.cid, query))
    probs = pcc.json_error_problems(r, status, srv.tmpdir)
    if not probs:
        msg = r.json()["error"]
        probs = ["message %r lacks %r" % (msg, w) for w in words if w not in msg]
    R.check(not probs, "%s: %d with a message saying %s" % (label, status, words),
            "; ".join(probs))


def main():
    R = pcc.Results("e2e_fields")
    pcc.preflight(R)
    path = pcc.capture(HTTP)
    data = pcc.read_file(path)
    srv = pcc.Server(R, ["--jobs", "2"], name="fields server")
    try:
        if not srv.start():
            return R.finish()
        port = srv.port
        R.check("tshark knows" in srv.log_text(), "the field list is loaded at start",
                pcc.one_line(srv.log_text(), 300))

        # size of a time field: every value, 9 decimals
        want = values(path, "tcp.analysis.ack_rtt")
        r = pcc.post_file(port, "/api/chart?format=json&field=tcp.analysis.ack_rtt", data)
        ok = R.check(r.status == 200, "upload with field=tcp.analysis.ack_rtt -> 200",
                     r.brief())
        srv.cid = None
        if ok:
            doc = r.json()
            s = doc["series"][0]
            got = [(str(t), str(v)) for t, v in s["points"]]
            R.check(got == want, "its points are tshark's values, in order (%d)" % len(want),
                    "got %r..., tshark %r..." % (got[:3], want[:3]))
            R.check(s.get("field") == "tcp.analysis.ack_rtt" and
                    s.get("packets") == frames(path) and s.get("values") == len(want),
                    "the series says its field, packets and values",
                    pcc.one_line(str({k: v for k, v in s.items() if k != "points"}), 300))
            srv.cid = doc["view"].split("/c/")[1].split("?")[0]
        if srv.cid is None:
            return R.finish()
        cid = srv.cid

        r = pcc.request(port, "GET", "/c/%s?field=tcp.analysis.ack_rtt&format=csv" % cid)
        rows = list(csv.reader(io.StringIO(r.text)))
        R.check(r.status == 200 and rows and rows[0] == ["time_relative",
                                                          "tcp.analysis.ack_rtt"] and
                [tuple(x) for x in rows[1:]] == want,
                "CSV: header names the field, rows are the values", r.brief())
        r = pcc.request(port, "GET", "/c/%s?field=tcp.analysis.ack_rtt&format=svg" % cid)
        probs = pcc.svg_problems(r.body, r.ctype)
        R.check(r.status == 200 and not probs and b"tcp.analysis.ack_rtt" in r.body and
                (b" ms<" in r.body or b" s<" in r.body),
                "SVG: well formed, axis titled with the field, ticks in seconds",
                "; ".join(probs) or r.brief())

        # io of an integer field at 1 s: sum, max, count
        lens = values(path, "tcp.len")
        for y in ("sum", "max", "count"):
            r = pcc.request(port, "GET",
                            "/c/%s?kind=io&interval=1&field=tcp.len&y=%s&format=json" %
                            (cid, urllib.parse.quote(y)))
            if not R.check(r.status == 200, "io field=tcp.len y=%s -> 200" % y, r.brief()):
                continue
            pts = r.json()["series"][0]["points"]
            bins = {}
            for t, v in lens:
                k = int(float(t) // 1)
                b = bins.setdefault(k, [])
                b.append(int(v))
            exp = []
            for t, _ in pts:
                b = bins.get(int(float(t)), [])
                exp.append(sum(b) if y == "sum" else max(b) if (y == "max" and b) else
                           len(b) if y == "count" else 0)
            R.check([float(v) for _, v in pts] == [float(x) for x in exp],
                    "io y=%s of tcp.len equals the per-frame values (%d intervals)" %
                    (y, len(pts)), "got %r, want %r" % (pts[:5], exp[:5]))
        # two series, two fields
        r = pcc.request(port, "GET", "/c/%s?kind=io&filter=tcp&field=tcp.len&filter=udp&"
                        "field=udp.length&y=sum&format=json" % cid)
        ok = r.status == 200
        if ok:
            ss = r.json()["series"]
            ok = [s.get("field") for s in ss] == ["tcp.len", "udp.length"] and \
                ss[1]["values"] == len(values(path, "udp.length"))
        R.check(ok, "two series with a field each", r.brief())

        # a field that never occurs
        r = pcc.request(port, "GET", "/c/%s?field=smb2.credits.granted&format=json" % cid)
        R.check(r.status == 200 and any("no values of smb2.credits.granted" in w
                                        for w in r.json().get("warnings", [])),
                "a field that never occurs: a chart saying no values of smb2.credits.granted",
                r.brief())

        bad(R, srv, "field=tcp.lenn", 400, ["tcp.lenn", "series 1", "tcp.len"],
            "unknown field")
        bad(R, srv, "field=ip.src", 400, ["ip.src", "FT_IPv4", "not a number"],
            "a field that is not a number")
        bad(R, srv, "kind=io&field=tcp.len&y=bytes", 400, ["y=bytes", "field"],
            "y=bytes with a field")
        r = pcc.request(port, "GET", "/c/%s?kind=hist&field=tcp.len&format=json" % cid)
        ok = r.status == 200
        if ok:
            s0 = r.json()["series"][0]
            bk = s0["buckets"]
            ok = sum(int(b["count"]) for b in bk) == len(lens) and all(
                sum(1 for _, v in lens if int(b["lo"]) <= int(v) <= int(b["hi"])) ==
                int(b["count"]) for b in bk) and s0["stats"]["max"] == max(int(v) for _, v in lens)
        R.check(ok, "kind=hist of tcp.len: linear buckets holding every value", r.brief())
        bad(R, srv, "kind=hist&filter=tcp&field=tcp.len&filter=udp", 400, ["same field"],
            "kind=hist of two fields")
        bad(R, srv, "field=tcp.len%3Bx", 400, ["field of series 1"], "a bad field name")
        bad(R, srv, "field=tcp.len&field=ip.ttl", 400, ["'field'"],
            "more fields than filters")

        # split: the top values by bytes, every packet in one series, filters that select them
        split_checks(R, srv, cid, path)

        # completion
        r = pcc.request(port, "GET", "/api/fields?q=tcp.analysis.ack_r")
        ok = r.status == 200 and "json" in r.ctype
        if ok:
            doc = r.json()
            names = [f["name"] for f in doc["fields"]]
            ok = "tcp.analysis.ack_rtt" in names and all(n.startswith("tcp.analysis.ack_r")
                                                        for n in names)
            ok = ok and [f for f in doc["fields"] if f["name"] == "tcp.analysis.ack_rtt"][0][
                "class"] == "time"
        R.check(ok, "/api/fields completes a prefix, with classes", r.brief())
        r = pcc.request(port, "GET", "/api/fields?q=tcp.lenn")
        R.check(r.status == 200 and r.json()["close"] and
                "tcp.len" in [f["name"] for f in r.json()["fields"]],
                "/api/fields offers close names for a typo", r.brief())
        r = pcc.request(port, "GET", "/api/fields?q=a%20b")
        R.check(not pcc.json_error_problems(r, 400, srv.tmpdir),
                "/api/fields refuses a prefix that is no field name", r.brief())

        # the CLI takes the same parameters
        q = "kind=io&interval=1&field=tcp.len&y=max"
        r = pcc.request(port, "GET", "/c/%s?%s&format=json" % (cid, q))
        p = subprocess.run([pcc.PCAPCHART_BIN, "chart", path] + q.split("&") +
                           ["--format", "json"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if r.status == 200 and p.returncode == 0:
            a, b = r.json(), pcc.loads_raw(p.stdout.decode())
            same = a["series"][0]["points"] == b["series"][0]["points"]
        else:
            same = False
        R.check(same, "pcapchart chart FILE %s equals the server's answer" % " ".join(
            q.split("&")), "rc %d: %s" % (p.returncode, pcc.one_line(p.stderr, 200)))
        p = subprocess.run([pcc.PCAPCHART_BIN, "chart", path, "field=ip.srcc"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        R.check(p.returncode != 0 and b"ip.src" in p.stderr,
                "the CLI refuses an unknown field, with close names",
                "rc %d: %s" % (p.returncode, pcc.one_line(p.stderr, 200)))
        srv.check_clean("after the field requests")
    except Exception:  # noqa: BLE001 - a bug of the test is a failure too
        R.fail("test script raised", traceback.format_exc())
    finally:
        srv.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
