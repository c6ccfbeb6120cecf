#!/usr/bin/env python3
"""bench/bench.py - how fast and how big pcapchart is next to tshark itself.

Builds the 3,005,226-packet capture with bench/make_big.sh in a
temp dir, cuts 10k/100k/1M-packet prefixes of it with editcap, and for each
size measures in one run, each as wall time, CPU time and peak RSS:
  (a) the bare tshark command the server runs, output to /dev/null
  (b) the same with -T fields (the best tshark can do)
  (c) `pcapchart chart FILE` (pcapchart and its tshark reported apart)
  (d) a POST of the file to a running server on loopback (server and tshark apart)
then prints the ratios (c)/(a) and (d)/(a) and the SVG size, and the latency
of a small upload (dev/http.cap) against a cold bare tshark run on it, and
(e) a POST of the largest size at --rate MB/s, charted while it arrives
against the same with --warm 0 (charted after the upload).

Usage: python3 bench/bench.py [--build DIR] [--sizes 10000,100000,1000000,3005226]
                              [--repeat N] [--keep DIR] [--rate MBPS]
Not a test: numbers vary +-40% on shared machines; compare ratios of one run.
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CAPTURES = os.environ.get("CAPTURES_DIR") or os.path.join(REPO, "tests", "captures")
FIELDS = ["-e", "frame.number", "-e", "frame.time_relative", "-e", "frame.len"]


def run_measured(argv, env=None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 stdin=subprocess.DEVNULL):
    """Run argv; return (wall s, cpu s of it and its waited children, maxrss MB, rc)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdin=stdin, stdout=stdout, stderr=stderr)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, p.returncode


def make_profile(tshark, d):
    """The frame-only profile, made as the server makes it (tshark.c)."""
    out = subprocess.run([tshark, "-G", "protocols"], capture_output=True, text=True,
                         check=True).stdout
    names = [l.split("\t")[2] for l in out.splitlines() if l.count("\t") >= 2]
    os.makedirs(d, mode=0o700, exist_ok=True)
    with open(os.path.join(d, "disabled_protos"), "w") as f:
        for n in names:
            if n != "frame":
                f.write(n + "\n")
    return d


def tshark_env(profile):
    env = dict(os.environ)
    env["TZ"] = os.environ.get("TZ", "UTC0")
    env["LC_ALL"] = "C"
    env["WIRESHARK_CONFIG_DIR"] = profile
    return env


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def post_file(port, path, timeout=3600, rate=0):
    """Stream a multipart POST of path (at most rate bytes/s when rate > 0, as a
    client on a slower link); return (status, body, seconds)."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{os.path.basename(path)}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = os.path.getsize(path)
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.putrequest("POST", "/api/chart?format=svg")
    c.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    c.putheader("Content-Length", str(len(head) + size + len(tail)))
    c.endheaders()
    c.send(head)
    sent = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            c.send(chunk)
            sent += len(chunk)
            if rate > 0:
                ahead = t0 + sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
    c.send(tail)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, time.monotonic() - t0


TSHARK_LINE = re.compile(r"tshark: (\d+) packets, exit (-?\d+), (\d+) ms wall, "
                         r"(\d+) ms cpu, (\d+) MB peak")
RES_LINE = re.compile(r"resources: pcapchart (\d+) ms cpu, (\d+) MB peak; "
                      r"tshark (\d+) ms cpu, (\d+) MB peak")


class Server:
    def __init__(self, binary, tmp, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="srv-", dir=tmp)
        self.log = open(os.path.join(self.tmp, "log"), "w+")
        self.port = free_port()
        self.p = subprocess.Popen(
            [binary, "--port", str(self.port), "--tmpdir", os.path.join(self.tmp, "t"),
             "--verbose", "--max-upload", "2G", "--timeout", "3600", *extra],
            stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def last_tshark(self):
        self.log.flush()
        with open(self.log.name) as f:
            found = TSHARK_LINE.findall(f.read())
        return found[-1] if found else None

    def stop(self):
        self.p.terminate()
        self.p.wait(30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def fmt(wall, cpu, rss):
    return f"{wall:7.2f} s wall {cpu:7.2f} s cpu {rss:7.1f} MB"


def bench_size(args, binary, tshark, profile, path, npk):
    print(f"\n== {npk:,} packets, {os.path.getsize(path) / 1e6:.1f} MB ({os.path.basename(path)})")
    env = tshark_env(profile)
    # as the server runs it: the capture on stdin (as root here, so without the
    # data dir of empty name tables, which only saves ~30 ms per capture)
    base = [tshark, "-n", "-r", "-"]
    best = {}
    for _ in range(args.repeat):
        with open(path, "rb") as f:
            a = run_measured(base + ["-T", "json"] + FIELDS, env=env, stdin=f)
        with open(path, "rb") as f:
            b = run_measured(base + ["-T", "fields"] + FIELDS, env=env, stdin=f)
        out = tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        c = run_measured([binary, "chart", "--verbose", path], stdout=out, stderr=err)
        err.seek(0)
        res = RES_LINE.findall(err.read().decode())
        out.seek(0, 2)
        svg_bytes = out.tell()
        srv = Server(binary, args.tmp)
        try:
            status, body, dwall = post_file(srv.port, path)
            hwm = vm_hwm_mb(srv.p.pid)
            tl = srv.last_tshark()
        finally:
            srv.stop()
        for k, v in (("a", a), ("b", b), ("c", c)):
            if k not in best or v[0] < best[k][0]:
                best[k] = v
        if "d" not in best or dwall < best["d"][0]:
            best["d"] = (dwall, status, len(body), hwm, tl)
        best.setdefault("res", res)
        best["svg"] = svg_bytes
    a, b, c, d = best["a"], best["b"], best["c"], best["d"]
    print(f"(a) tshark -T json (server's command) {fmt(*a[:3])}")
    print(f"(b) tshark -T fields                  {fmt(*b[:3])}")
    if best["res"]:
        pc_cpu, pc_rss, ts_cpu, ts_rss = (int(x) for x in best["res"][0])
        print(f"(c) pcapchart chart                   {c[0]:7.2f} s wall; pcapchart "
              f"{pc_cpu / 1000:.2f} s cpu {pc_rss} MB, tshark {ts_cpu / 1000:.2f} s cpu "
              f"{ts_rss} MB; SVG {best['svg']:,} B")
    dwall, status, blen, hwm, tl = d
    tsinfo = f"tshark {int(tl[3]) / 1000:.2f} s cpu {tl[4]} MB" if tl else "tshark ?"
    print(f"(d) POST to server                    {dwall:7.2f} s wall; server peak "
          f"{hwm:.1f} MB, {tsinfo}; HTTP {status}, {blen:,} B")
    print(f"ratios: (c)/(a) = {c[0] / a[0]:.2f}   (d)/(a) = {dwall / a[0]:.2f}   "
          f"(b)/(a) = {b[0] / a[0]:.2f}")
    return {"a": a, "c": c, "d": dwall, "server_mb": hwm, "svg": best["svg"]}


def small_latency(args, binary, tshark):
    path = os.path.join(CAPTURES, "dev", "http.cap")
    cold = min(run_measured([tshark, "-n", "-r", path, "-T", "json"] + FIELDS)[0]
               for _ in range(3))
    srv = Server(binary, args.tmp)
    try:
        post_file(srv.port, path)  # first request warms caches
        warm = min(post_file(srv.port, path)[2] for _ in range(5))
    finally:
        srv.stop()
    print(f"\n== small upload (dev/http.cap, 43 packets)\ncold bare tshark {cold:.3f} s; "
          f"POST to server {warm:.3f} s; ratio {warm / cold:.2f}")


def overlap(args, binary, path, npk):
    """(e) a POST at a limited upload rate, charted while it arrives (the
    default server) and after it arrived (--warm 0: no warm tshark, no overlap)."""
    rate = args.rate * 1e6
    print(f"\n== upload at {args.rate:g} MB/s ({npk:,} packets, "
          f"{os.path.getsize(path) / 1e6:.1f} MB: {os.path.getsize(path) / rate:.1f} s "
          "of upload)")
    walls = {}
    for label, extra in (("overlapped", ()), ("after upload", ("--warm", "0"))):
        srv = Server(binary, args.tmp, extra)
        try:
            status, body, wall = post_file(srv.port, path, rate=rate)
        finally:
            srv.stop()
        walls[label] = wall
        print(f"(e) POST, chart {label:<13} {wall:7.2f} s wall; HTTP {status}, "
              f"{len(body):,} B")
    print(f"ratio overlapped / after upload = "
          f"{walls['overlapped'] / walls['after upload']:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(REPO, "build-bench"))
    ap.add_argument("--sizes", default="10000,100000,1000000,3005226")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", help="directory to keep/reuse the big capture in")
    ap.add_argument("--rate", type=float, default=40,
                    help="MB/s of the throttled upload (e) of the largest size; 0: skip")
    args = ap.parse_args()

    tshark = shutil.which("tshark")
    for tool in ("tshark", "editcap", "mergecap"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found (bash .ci/deps installs it)")
    subprocess.run(["cmake", "-S", REPO, "-B", args.build, "-DCMAKE_BUILD_TYPE=Release"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", args.build, "-j", str(os.cpu_count() or 2),
                    "--target", "pcapchart"], check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(args.build, "pcapchart")
    args.tmp = tempfile.mkdtemp(prefix="pcapchart-bench-")
    try:
        work = args.keep or args.tmp
        os.makedirs(work, exist_ok=True)
        big = os.path.join(work, "nfs_bad_stalls_x427.pcap")
        if not os.path.exists(big):
            print("building the 3M-packet capture with make_big.sh ...", flush=True)
            subprocess.run(["bash", os.path.join(HERE, "make_big.sh"), big], check=True,
                           stdout=subprocess.DEVNULL, env=dict(os.environ, CAPTURES_DIR=CAPTURES))
        profile = make_profile(tshark, os.path.join(args.tmp, "profile"))
        print(f"tshark: {subprocess.run([tshark, '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
        print(f"cpus: {os.cpu_count()}")
        rows = []
        for n in (int(x) for x in args.sizes.split(",")):
            path = big
            if n < 3005226:
                path = os.path.join(args.tmp, f"first_{n}.pcap")
                subprocess.run(["editcap", "-r", big, path, f"1-{n}"], check=True)
            rows.append((n, bench_size(args, binary, tshark, profile, path, n)))
            if path != big:
                os.unlink(path)
        small_latency(args, binary, tshark)
        if args.rate > 0 and rows:
            n = rows[-1][0]
            path = big
            if n < 3005226:
                path = os.path.join(args.tmp, f"first_{n}.pcap")
                subprocess.run(["editcap", "-r", big, path, f"1-{n}"], check=True)
            overlap(args, binary, path, n)
        print("\n== growth\npackets     (a) s   (c) s   (d) s  server MB  SVG B")
        for n, r in rows:
            print(f"{n:>9,} {r['a'][0]:7.2f} {r['c'][0]:7.2f} {r['d']:7.2f} "
                  f"{r['server_mb']:9.1f} {r['svg']:6,}")
    finally:
        shutil.rmtree(args.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
