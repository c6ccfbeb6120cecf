#!/usr/bin/env python3
"""bench/fields.py - field= and split= next to the bare tshark run, in one run.

On a prefix of the 3,005,226-packet capture (bench/make_big.sh; --packets N,
default 1,000,000; 3005226 for all of it) measures, each as wall time, CPU
time and peak RSS of the process tree:
  (a) bare tshark with the field: tshark -n -r FILE -T json
      -e frame.time_relative -e tcp.len > /dev/null
  (b) `pcapchart chart FILE field=tcp.len` (size kind, JSON) and
      `... kind=io field=tcp.len y=sum interval=1`
  (c) bare tshark with the split field: -e frame.len -e ip.src
  (d) `pcapchart chart FILE split=ip.src kind=io interval=1` (two tshark runs)
and prints (b)/(a) (goal <= 1.05) and (d)/(c) (goal <= 2.1: two runs).

Usage: python3 bench/fields.py [--packets N] [--big FILE] [--build DIR]
Not a test: compare the ratios of one run on a quiet machine.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench import run_measured  # noqa: E402


def measure(label, argv):
    wall, cpu, rss, rc = run_measured(argv)
    if rc != 0:
        print("%s: exit %d: %s" % (label, rc, " ".join(argv)), file=sys.stderr)
        sys.exit(1)
    print("  %-34s %7.2f s wall %7.2f s cpu %6.0f MB peak" % (label, wall, cpu, rss),
          flush=True)
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=1000000)
    ap.add_argument("--big", help="the 3M capture, if built already")
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    a = ap.parse_args()
    bin_ = os.path.join(a.build, "pcapchart")
    tshark = shutil.which("tshark")
    if not tshark or not os.access(bin_, os.X_OK) or not shutil.which("editcap"):
        print("needs tshark, editcap and %s" % bin_, file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="pcc-fields-")
    try:
        big = a.big
        if not big:
            big = os.path.join(tmp, "big.pcap")
            print("building the 3M-packet capture with make_big.sh ...", flush=True)
            subprocess.run(["bash", os.path.join(HERE, "make_big.sh"), big], check=True,
                           stdout=subprocess.DEVNULL)
        path = big
        if a.packets < 3005226:
            path = os.path.join(tmp, "prefix.pcap")
            subprocess.run(["editcap", "-r", big, path, "1-%d" % a.packets], check=True)
        print("capture: %d packets, %.0f MB; tshark %s" % (
            a.packets, os.path.getsize(path) / 1e6,
            subprocess.run([tshark, "--version"], stdout=subprocess.PIPE,
                           text=True).stdout.split("\n")[0]), flush=True)
        bare = [tshark, "-n", "-r", path, "-T", "json", "-e", "frame.time_relative"]
        fa = measure("(a) bare tshark -e tcp.len", bare + ["-e", "tcp.len"])
        fb = measure("(b) chart field=tcp.len", [bin_, "chart", path, "field=tcp.len",
                                                 "--format", "json"])
        fb2 = measure("(b) chart kind=io field=tcp.len", [
            bin_, "chart", path, "kind=io", "field=tcp.len", "y=sum", "interval=1",
            "--format", "json"])
        sc = measure("(c) bare tshark -e ip.src", [
            tshark, "-n", "-r", path, "-T", "json", "-e", "frame.len", "-e", "ip.src"])
        sd = measure("(d) chart split=ip.src (2 runs)", [
            bin_, "chart", path, "split=ip.src", "kind=io", "interval=1", "--format",
            "json"])
        print("ratios: field size %.2fx, field io %.2fx (goal <= 1.05); split %.2fx of one "
              "bare run (goal <= 2.1)" % (fb / fa, fb2 / fa, sd / sc))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
