#!/usr/bin/env python3
"""bench/hostile.py - what hostile clients do to the server, in figures.

Starts the real server (BUILD/pcapchart, real tshark) on loopback and, for
--hold seconds, keeps
  - --silent connections that send nothing, spread over --addresses source
    addresses (127.0.0.2 ...), and
  - --trickle uploads from two addresses, each sending its body a byte every
    10 s,
while a well-behaved client from another address asks GET /healthz every
second and uploads tests/captures/dev/http.cap every 5 s. Prints their
statuses and latencies (p50, p95, max). Then:
  - the nastiest memory mix: --readers clients ask for a large io JSON of a
    small capture (8 series, long time base) and never read it, while the
    uploads go on; prints the server's peak RSS (VmHWM);
  - a gzip bomb (a small .pcap.gz inflating to --bomb-mb MiB of valid
    records) uploaded with --timeout 5: its wall time against the timeout.

Usage: python3 bench/hostile.py [--build DIR] [--hold S] [--silent N]
                                [--trickle N] [--addresses N] [--readers N]
Not a test: figures depend on the machine; it prints what it saw.
"""
import argparse
import gzip
import http.client
import io
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CAPTURES = os.environ.get("CAPTURES_DIR") or os.path.join(REPO, "tests", "captures")

sys.path.insert(0, HERE)
from bench import free_port  # noqa: E402  (one way to find a free port)


def vm(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def multipart(data, name):
    b = uuid.uuid4().hex
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n" % (b, name)).encode() + data +
            ("\r\n--%s--\r\n" % b).encode())
    return b, body


def post(port, data, name, src, query="format=json", timeout=120):
    """(status or None, seconds, body)"""
    b, body = multipart(data, name)
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                       source_address=(src, 0))
        c.request("POST", "/api/chart?" + query, body,
                  {"Content-Type": "multipart/form-data; boundary=" + b})
        r = c.getresponse()
        out = r.read()
        c.close()
        return r.status, time.monotonic() - t0, out
    except OSError as e:
        return None, time.monotonic() - t0, str(e).encode()


def get(port, path, src, timeout=30):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                       source_address=(src, 0))
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, time.monotonic() - t0
    except OSError:
        return None, time.monotonic() - t0


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def summary(label, results):
    lat = [t for _, t in results]
    codes = {}
    for s, _ in results:
        codes[s] = codes.get(s, 0) + 1
    print("%-28s n=%-4d statuses %s  p50 %.3f s  p95 %.3f s  max %.3f s"
          % (label, len(results), dict(sorted(codes.items(), key=str)), pct(lat, 50),
             pct(lat, 95), max(lat) if lat else float("nan")))


class Server:
    def __init__(self, binary, extra):
        self.base = tempfile.mkdtemp(prefix="pcc-hostile-")
        self.port = free_port()
        self.logf = open(os.path.join(self.base, "log"), "w+")
        self.p = subprocess.Popen([binary, "--port", str(self.port), "--tmpdir",
                                   os.path.join(self.base, "t")] + list(extra),
                                  stdout=self.logf, stderr=self.logf)
        for _ in range(300):
            if get(self.port, "/healthz", "127.0.0.1", 2)[0] == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("server did not start: see %s" % self.logf.name)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(60)
        except subprocess.TimeoutExpired:
            self.p.kill()
        subprocess.run(["rm", "-rf", self.base])


def hold_connections(port, n_silent, n_trickle, addresses, stop):
    """Open the silent and trickling connections; keep them until stop is set."""
    socks = []
    for i in range(n_silent):
        s = socket.socket()
        try:
            s.bind(("127.0.0.%d" % (2 + i % addresses), 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            s.close()
    trick = []
    for i in range(n_trickle):
        b = uuid.uuid4().hex
        head = ("POST /api/chart HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data;"
                " boundary=%s\r\nContent-Length: 100000\r\n\r\n" % b).encode()
        s = socket.socket()
        try:
            s.bind(("127.0.0.%d" % (2 + i % 2), 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            s.sendall(head)
            trick.append(s)
        except OSError:
            s.close()
    print("holding %d silent and %d trickling connections" % (len(socks), len(trick)))
    while not stop.wait(10):
        for s in list(trick):
            try:
                s.send(b"x")
            except OSError:
                trick.remove(s)
    for s in socks + trick:
        s.close()


def flood(args, binary, cap):
    srv = Server(binary, ["--jobs", "2"])
    stop = threading.Event()
    t = threading.Thread(target=hold_connections,
                         args=(srv.port, args.silent, args.trickle, args.addresses, stop))
    t.start()
    time.sleep(3)  # the connections are in
    health, uploads = [], []
    end = time.monotonic() + args.hold
    last_up = 0.0
    while time.monotonic() < end:
        health.append(get(srv.port, "/healthz", "127.0.0.100"))
        if time.monotonic() - last_up >= 5:
            last_up = time.monotonic()
            s, dt, _ = post(srv.port, cap, "http.cap", "127.0.0.101")
            uploads.append((s, dt))
        time.sleep(max(0.0, 1.0 - health[-1][1]))
    stop.set()
    t.join()
    summary("GET /healthz", health)
    summary("upload http.cap", uploads)
    print("server peak RSS %.1f MiB" % vm(srv.p.pid, "VmHWM"))
    srv.stop()


def big_io_query():
    # MAX_IO_INTERVALS-ish intervals on a long time base, 8 series: a huge JSON
    q = "format=json&kind=io&y=bytes&interval=1&start=0&end=490000&max_points=1000000"
    for i in range(8):
        q += "&filter=frame.len%%3E%d" % i
    return q


def memory_mix(args, binary, cap):
    srv = Server(binary, ["--jobs", "2"])
    tiny = open(os.path.join(CAPTURES, "dev", "http.cap"), "rb").read()
    socks = []
    b, body = multipart(tiny, "tiny.cap")
    for i in range(args.readers):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.%d" % (20 + i % 10), 0))
        s.connect(("127.0.0.1", srv.port))
        s.sendall(("POST /api/chart?%s HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/"
                   "form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n"
                   % (big_io_query(), b, len(body))).encode() + body)
        socks.append(s)  # never read
    ups = [post(srv.port, cap, "http.cap", "127.0.0.101")[:2] for _ in range(5)]
    time.sleep(10)
    summary("upload during the mix", ups)
    print("nastiest mix (%d non-reading io clients): server peak RSS %.1f MiB"
          % (args.readers, vm(srv.p.pid, "VmHWM")))
    for s in socks:
        s.close()
    srv.stop()


def bomb(args, binary):
    rec = struct.pack("<IIII", 1000, 0, 60, 60) + bytes(60)
    n = args.bomb_mb * 1024 * 1024 // len(rec)
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as g:
        g.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = rec * 16384
        for _ in range(n // 16384):
            g.write(chunk)
    data = raw.getvalue()
    srv = Server(binary, ["--jobs", "2", "--timeout", "5"])
    s, dt, out = post(srv.port, data, "bomb.pcap.gz", "127.0.0.101", timeout=600)
    print("gzip bomb %d KiB -> %d MiB, --timeout 5: %s after %.1f s: %s"
          % (len(data) // 1024, args.bomb_mb, s, dt, out[:160]))
    srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--hold", type=float, default=60)
    ap.add_argument("--silent", type=int, default=500)
    ap.add_argument("--trickle", type=int, default=64)
    ap.add_argument("--addresses", type=int, default=10)
    ap.add_argument("--readers", type=int, default=12)
    ap.add_argument("--bomb-mb", type=int, default=2048)
    ap.add_argument("--skip", default="", help="comma list of flood,memory,bomb")
    args = ap.parse_args()
    binary = os.path.join(args.build, "pcapchart")
    cap = open(os.path.join(CAPTURES, "dev", "http.cap"), "rb").read()
    skip = set(args.skip.split(","))
    print("machine: %d cores, %s" % (os.cpu_count(), os.uname().release))
    if "flood" not in skip:
        flood(args, binary, cap)
    if "memory" not in skip:
        memory_mix(args, binary, cap)
    if "bomb" not in skip:
        bomb(args, binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
