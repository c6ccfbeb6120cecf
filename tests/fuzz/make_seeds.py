#!/usr/bin/env python3
"""make_seeds.py - record the seed corpora of tests/fuzz/corpus/<harness>/.

Run by hand (needs tshark and $CAPTURES_DIR, default tests/captures) when a harness's input format changes; the seeds are
committed, so fuzzing itself needs neither tshark nor the captures. Each seed
stays a few KB at most.

  tsjson  a 4-byte header (chunk seed x2, chunk size exponent, stop after N
          packets; see fuzz_tsjson.c) + what `tshark -n -r FILE -T json -e
          frame.number -e frame.time_relative -e frame.len` prints for a few
          packets of dev captures (and a cut-short bad one, and one packet's
          full -T json without -e for deep nesting)
  http    raw HTTP requests: pages, static files, uploads of small dev
          captures to / and /api/chart (Content-Length, chunked, Expect,
          pipelined, form fields, view parameters, hostile file names)
  escape  strings: markup, formulas, invalid and overlong UTF-8, controls
  view    query strings using every view parameter
"""
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.environ.get("CAPTURES_DIR") or os.path.normpath(
    os.path.join(HERE, "..", "captures"))
CORPUS = os.path.join(HERE, "corpus")
MAX_SEED = 6000


def tshark_json(rel, count=None, fields=True, extra=()):
    cmd = [shutil.which("tshark") or "tshark", "-n", "-r", os.path.join(CAPTURES, rel),
           "-T", "json"]
    if fields:
        cmd += ["-e", "frame.number", "-e", "frame.time_relative", "-e", "frame.len"]
    if count:
        cmd += ["-c", str(count)]
    cmd += list(extra)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, LC_ALL="C", TZ="UTC0"), timeout=120)
    return p.stdout


def write(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if len(data) > MAX_SEED:
        raise SystemExit("seed %s/%s is %d bytes (max %d)" % (harness, name, len(data),
                                                                MAX_SEED))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tsjson_seeds():
    plans = [b"\x12\x34\x00\x00", b"\xab\xcd\x06\x00", b"\x01\x02\x0c\x02",
             b"\x55\xaa\x03\x00", b"\x77\x01\x09\x00", b"\x10\x20\x04\x03"]
    cases = [
        ("dhcp-nanosecond", "dev/dhcp-nanosecond.pcap", 4, True, ()),
        ("ptg-mix", "dev/ptg_le_test011_spb_epb_mix.pcapng", 6, True, ()),
        ("http", "dev/http.cap", 12, True, ()),
        ("vlan-gz", "dev/vlan.cap.gz", 6, True, ()),
        ("ip-flags", "dev/220614_ip_flags_google.pcapng", 8, True, ()),
        ("empty", "dev/empty.pcap", None, True, ()),
        ("filter-none", "dev/http.cap", None, True, ("-Y", "frame.len > 100000")),
        ("cut-short", "bad/ssl.dump.pcap", 10, True, ()),
        ("full-json", "dev/220614_ip_flags_google.pcapng", 1, False, ()),
    ]
    for i, (name, rel, count, fields, extra) in enumerate(cases):
        out = tshark_json(rel, count, fields, extra)
        if len(out) + 4 > MAX_SEED:  # keep whole packets only
            cut = out.rfind(b"\n  },\n", 0, MAX_SEED - 8)
            out = out[:cut + 4] + b"\n]\n" if cut > 0 else out[:MAX_SEED - 4]
        write("tsjson", name, plans[i % len(plans)] + out)


def multipart(fields, boundary):
    out = b""
    for name, filename, data in fields:
        out += b"--" + boundary + b"\r\n"
        disp = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            disp += b'; filename="' + filename + b'"'
        out += disp + b"\r\n"
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def req(method, path, headers=(), body=b""):
    h = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
    for k, v in headers:
        h += k + b": " + v + b"\r\n"
    return h + b"\r\n" + body


def post_multipart(path, fields, boundary=b"pccfuzz0123", extra=(), chunked=False):
    body = multipart(fields, boundary)
    hdrs = [(b"Content-Type", b"multipart/form-data; boundary=" + boundary)] + list(extra)
    if chunked:
        enc = b""
        for i in range(0, len(body), 700):
            part = body[i:i + 700]
            enc += b"%x\r\n" % len(part) + part + b"\r\n"
        return req(b"POST", path, hdrs + [(b"Transfer-Encoding", b"chunked")],
                   enc + b"0\r\n\r\n")
    return req(b"POST", path, hdrs + [(b"Content-Length", b"%d" % len(body))], body)


def http_seeds():
    dhcp = open(os.path.join(CAPTURES, "dev/dhcp-nanosecond.pcap"), "rb").read()
    ptg = open(os.path.join(CAPTURES, "dev/ptg_le_test011_spb_epb_mix.pcapng"), "rb").read()
    empty = open(os.path.join(CAPTURES, "dev/empty.pcap"), "rb").read()
    write("http", "get-index", req(b"GET", b"/"))
    write("http", "get-static", req(b"GET", b"/static/style.css",
                                    [(b"Connection", b"keep-alive")]))
    write("http", "head-health", req(b"HEAD", b"/healthz"))
    write("http", "get-traversal", req(b"GET", b"/static/%2e%2e/%2e%2e/etc/passwd"))
    write("http", "api-json", post_multipart(b"/api/chart?format=json",
                                             [(b"file", b"dhcp.pcap", dhcp)]))
    write("http", "api-csv-chunked", post_multipart(
        b"/api/chart?format=csv&max_points=2", [(b"file", b"ptg.pcapng", ptg)],
        chunked=True))
    write("http", "form-fields", post_multipart(
        b"/", [(b"width", None, b"640"), (b"height", None, b"300"),
               (b"max_points", None, b"100"), (b"file", b"dhcp.pcap", dhcp)],
        boundary=b"----WebKitFormBoundary7MA4YWxkTrZu0gW"))
    write("http", "api-view", post_multipart(
        b"/api/chart?format=svg&kind=io&interval=10ms&y=bytes/s&sma=2&log=1"
        b"&filter=udp&name=UDP&color=%23ff0000&filter=&start=0&end=1.5",
        [(b"file", b"dhcp.pcap", dhcp)], extra=[(b"Expect", b"100-continue")]))
    write("http", "api-hostile-name", post_multipart(
        b"/api/chart?format=json",
        [(b"file", b"../\"<script>alert(1)</script>\xc0\xaf%00.pcap", empty)]))
    write("http", "pipelined", req(b"GET", b"/healthz") + post_multipart(
        b"/?kind=hist", [(b"file", b"a.pcap", dhcp)], extra=[(b"Connection", b"close")]))
    write("http", "urlencoded", req(
        b"POST", b"/api/chart", [(b"Content-Type", b"application/x-www-form-urlencoded"),
                                 (b"Content-Length", b"13")], b"file=abc&x=%00"))
    write("http", "no-boundary", req(
        b"POST", b"/", [(b"Content-Type", b"multipart/form-data"),
                        (b"Content-Length", b"5")], b"hello"))


def escape_seeds():
    seeds = {
        "markup": b"<script>alert('x')</script> & \"q\" </svg>",
        "formula": b"=HYPERLINK(\"http://x\",\"y\"),-1,+2,@SUM(A1)",
        "csv": b"a,b\r\n\"c\"\td",
        "utf8": "Grüße, 日本語 😀 µs".encode("utf-8"),
        "invalid": b"\xc0\xaf\xe0\x80\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff\xfe\x80abc",
        "controls": bytes(range(1, 32)) + b"\x7f end",
        "cut-seq": b"ok \xe2\x82",
    }
    for name, data in seeds.items():
        write("escape", name, data)


def view_seeds():
    seeds = {
        "io": b"kind=io&interval=10ms&y=bytes/s&sma=5&log=1",
        "series": b"filter=tcp&name=TCP&color=%23ff0000&filter=udp&name=&color=&filter=",
        "zoom": b"start=-1.5&end=2.000000001&width=800&height=300&max_points=1000",
        "file": b"filename=a%20b%C3%A9.pcap&format=svg&retain=0",
        "micro": b"kind=io&interval=1%C2%B5s&y=avg",
        "hist": b"kind=hist&filter=ip.src%3D%3D10.0.0.1%20%26%26%20tcp&name=%3Cb%3E",
        "errors": b"sma=99999&log=2&color=xyz&interval=0",
    }
    for name, data in seeds.items():
        write("view", name, data)


def main():
    if shutil.which("tshark") is None:
        print("tshark not found", file=sys.stderr)
        return 1
    random.seed(5)
    tsjson_seeds()
    http_seeds()
    escape_seeds()
    view_seeds()
    for h in sorted(os.listdir(CORPUS)):
        d = os.path.join(CORPUS, h)
        sizes = [os.path.getsize(os.path.join(d, n)) for n in os.listdir(d)]
        print("%-8s %2d seeds, %6d bytes, largest %d" % (h, len(sizes), sum(sizes),
                                                          max(sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
